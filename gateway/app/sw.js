// The app's service worker: keeps the app shell (these files, never an API answer) so the
// app opens offline; online, each file is fetched fresh and the kept copy renewed. No
// answer of the API or of the sign-in (/auth/*) is ever kept.

const SHELL = "coachops-app-v3";
const FILES = [
  "./", "index.html", "base.css", "app.css", "favicon.svg", "manifest.webmanifest",
  "js/main.js", "js/api.js", "js/outbox.js", "js/outbox_view.js", "js/ui.js", "js/today.js",
  "js/cycles.js", "js/observe.js", "js/teacher.js", "js/principal.js", "js/agreements.js",
  "js/session.js", "js/roles.js", "js/one_at_a_time.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== SHELL).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const shell = event.request.method === "GET" && url.origin === location.origin
    && url.pathname.startsWith("/app/");
  // The API, and above all the sign-in (/auth/*: who is signed in, the session's CSRF token):
  // always the network, never kept; the page keeps what it read.
  if (!shell || url.pathname.startsWith("/auth/")) return;
  event.respondWith(fetch(event.request)
    .then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(SHELL).then((cache) => cache.put(event.request, copy));
      }
      return response;
    })
    .catch(() => caches.match(event.request, { ignoreSearch: true })
      .then((kept) => kept || caches.match("index.html"))));
});

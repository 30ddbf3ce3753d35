// The roster gives the signed-in person more than one role: a button for each, to say which
// one they act in now (the dashboard's and the app's role chooser).

import { chooseRole, signedIn } from "./session.js";

// ``names`` words each role; ``chosen`` is called with the session's new view, or with the
// error when the gateway refused the choice.
export function roleChoices(names, chosen) {
  const current = signedIn();
  return (current.roles || []).map((role) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = names[role] || role;
    if (role === current.role) button.setAttribute("aria-pressed", "true");
    button.addEventListener("click", () => chooseRole(role).then(chosen, chosen));
    return button;
  });
}

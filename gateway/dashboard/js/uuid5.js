// Name-based ids (RFC 4122 version 5), as the agreements service makes them: a coaching
// agreement's id follows from its coach, school and school year. SHA-1 is written out
// because crypto.subtle exists only on https pages, and district intranets may be http.

function sha1(bytes) {
  const length = bytes.length;
  const words = new Uint32Array((((length + 8) >> 6) + 1) * 16);
  for (let i = 0; i < length; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
  words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
  words[words.length - 1] = length * 8;
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));
  for (let block = 0; block < words.length; block += 16) {
    for (let t = 0; t < 80; t++) {
      w[t] = t < 16 ? words[block + t] : rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    }
    let [a, b, c, d, e] = h;
    for (let t = 0; t < 80; t++) {
      const [f, k] = t < 20 ? [(b & c) | (~b & d), 0x5a827999]
        : t < 40 ? [b ^ c ^ d, 0x6ed9eba1]
          : t < 60 ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc]
            : [b ^ c ^ d, 0xca62c1d6];
      const next = (rotl(a, 5) + f + e + k + w[t]) >>> 0;
      [e, d, c, b, a] = [d, c, rotl(b, 30) >>> 0, a, next];
    }
    [a, b, c, d, e].forEach((value, i) => { h[i] = (h[i] + value) >>> 0; });
  }
  const out = new Uint8Array(20);
  h.forEach((value, i) => {
    for (let j = 0; j < 4; j++) out[i * 4 + j] = (value >>> (24 - j * 8)) & 0xff;
  });
  return out;
}

export function uuid5(namespace, name) {
  const space = namespace.replace(/-/g, "").match(/../g).map((pair) => parseInt(pair, 16));
  const digest = sha1(new Uint8Array([...space, ...new TextEncoder().encode(name)]));
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = [...digest.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// services/agreements/roster.py: ROSTER_NAMESPACE; domain.py: coaching_agreement_id.
export const ROSTER_NAMESPACE = "0b8f8a52-3c1e-4c55-9a0f-1d2e7f5a9c31";

export function coachingAgreementId(coachId, schoolId, schoolYear) {
  return uuid5(ROSTER_NAMESPACE, `coaching-agreement:${coachId}:${schoolId}:${schoolYear}`);
}

// visible.js is one poll of a session's wait for an element: true when the
// first element selector matches takes space on the page and is not
// visibility: hidden, false when it does not or none matches, and the
// string "invalid" when selector does not parse.
(selector) => {
  let e;
  try { e = document.querySelector(selector); } catch (x) { return "invalid"; }
  if (!e) return false;
  const r = e.getBoundingClientRect();
  const st = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && st.visibility !== "hidden";
}

// queryselector.js finds the element a session action names by a CSS
// selector: the first element selector matches, null when none does, or
// the string "invalid" when selector does not parse. The caller evaluates
// it without returnByValue, to get a handle on the element itself.
(selector) => {
  try { return document.querySelector(selector); } catch (e) { return "invalid"; }
}

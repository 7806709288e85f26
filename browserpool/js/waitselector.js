// waitselector.js waits until w.selector matches an element (visible, with
// w.visible) or, with w.hidden, until none visible does. It returns
// "invalid" at once for a selector that does not parse, true when the
// condition holds.
(w) => new Promise((resolve) => {
  const visible = (el) => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.visibility !== "hidden" && s.display !== "none" && r.width > 0 && r.height > 0;
  };
  const check = () => {
    let el;
    try { el = document.querySelector(w.selector); } catch (e) { resolve("invalid"); return; }
    const ok = w.hidden ? (!el || !visible(el)) : (el && (!w.visible || visible(el)));
    if (ok) resolve(true); else setTimeout(check, 50);
  };
  check();
})

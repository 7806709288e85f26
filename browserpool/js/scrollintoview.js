// scrollintoview.js scrolls the first element selector matches into view
// and returns its box in document coordinates, or null when none matches.
(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height};
}

// scrollby.js scrolls the page, for a session's scroll action, by amount
// pixels (0: most of a screen, 80% of the window's height) times dx
// across and dy down, each -1, 0 or 1. It returns where the page is
// scrolled to then, {x, y}.
(amount, dx, dy) => {
  const a = amount || Math.round(innerHeight * 0.8);
  scrollBy({left: dx * a, top: dy * a, behavior: "instant"});
  return {x: scrollX, y: scrollY};
}

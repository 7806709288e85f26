// scroll.js scrolls through the page a viewport at a time, so that what
// loads on view (loading=lazy images, IntersectionObserver sections,
// infinite lists) is requested before text, a full-page screenshot or a
// PDF is captured. It stops after maxPages viewport heights or maxMs, waits
// two frames at each step (intersection observers run with rendering),
// then looks at the very bottom once, where comments and "load more"
// sections sit however long the page, even when time ran out on the way (a
// busy machine draws frames slowly), and goes back to where the page was.
// It returns how many steps it made.
//
// A page that loads nothing on view is not scrolled: one whose scripts
// watch neither intersections nor scrolling (settle.js saw them from the
// document's start), with no loading=lazy frame, nor, when lazyImages
// (a full-page screenshot or a PDF shows them), a loading=lazy image.
async (maxPages, maxMs, lazyImages) => {
  const start = performance.now();
  const root = document.scrollingElement || document.documentElement;
  if (!root) return 0;
  const settle = window[Symbol.for("sous.settle")];
  const lazy = lazyImages ? "iframe[loading=lazy], img[loading=lazy]" : "iframe[loading=lazy]";
  if (settle && !settle.watchesView() && !document.querySelector(lazy)) return 0;
  const x0 = window.scrollX, y0 = window.scrollY;
  const step = Math.max(1, window.innerHeight);
  // rAF does not run in a page that is not drawn, so a timer bounds the
  // wait: 50 ms until a frame has been seen, then a second, since a busy
  // machine draws slowly, and a step that moves on before its frame is one
  // whose intersections are never computed.
  let drawn = false;
  const frame = () => new Promise((resolve) => {
    const timer = setTimeout(resolve, drawn ? 1000 : 50);
    requestAnimationFrame(() => { drawn = true; requestAnimationFrame(() => { clearTimeout(timer); resolve(); }); });
  });
  let steps = 0;
  for (let y = step; steps < maxPages && performance.now() - start < maxMs; y += step) {
    const bottom = root.scrollHeight - window.innerHeight;
    if (y - step >= bottom) break;
    window.scrollTo(x0, Math.min(y, bottom));
    steps++;
    await frame();
  }
  const bottom = root.scrollHeight - window.innerHeight;
  if (maxPages > 0 && window.scrollY < bottom) {
    window.scrollTo(x0, bottom);
    steps++;
    await frame();
  }
  window.scrollTo(x0, y0);
  if (steps > 0) await frame();
  return steps;
}

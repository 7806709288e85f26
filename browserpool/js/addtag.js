// addtag.js adds a style or script tag to the page, as Puppeteer's
// addStyleTag and addScriptTag do, and waits for one with a src to load.
(a) => new Promise((resolve, reject) => {
  let el;
  if (a.kind === "style" && a.src) { el = document.createElement("link"); el.rel = "stylesheet"; el.href = a.src; }
  else if (a.kind === "style") { el = document.createElement("style"); el.textContent = a.content; }
  else {
    el = document.createElement("script");
    if (a.type) el.type = a.type;
    if (a.id) el.id = a.id;
    if (a.src) el.src = a.src; else el.textContent = a.content;
  }
  if (a.src) { el.onload = () => resolve(true); el.onerror = () => reject(new Error("could not load " + a.src)); }
  (document.head || document.documentElement).appendChild(el);
  if (!a.src) resolve(true);
})

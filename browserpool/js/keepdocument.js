// keepdocument.js is installed, for a render of a document given as html,
// in every new document before the page's scripts. Through the Navigation
// API it cancels each navigation of the top-level document to another
// document that the page starts (a location change, a reload, an "upgrade"
// to https, a meta refresh, a form submission), so that the caller's
// document stays, and notes where each went, for meta.warnings. A refusal
// at the network (the navigation gate) comes too late: a navigation that
// starts while the document is still being parsed ends its parsing.
// Same-document navigations (history.pushState, fragments) go ahead.
// The wipe switches it off (off = true) before it leaves the page.
(() => {
  const key = Symbol.for("sous.keepdocument");
  if (window !== window.top || !window.navigation || window[key]) return true;
  const state = {off: false, refused: []};
  Object.defineProperty(window, key, {value: state, enumerable: false});
  navigation.addEventListener("navigate", (e) => {
    if (state.off || e.destination.sameDocument || !e.cancelable) return;
    e.preventDefault();
    if (state.refused.length < 10) state.refused.push(e.destination.url);
  });
  return true;
})()

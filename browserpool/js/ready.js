// ready.js waits for the document's load event (or DOMContentLoaded, with
// dom true), for a document written with setDocumentContent.
(dom) => dom
  ? document.readyState !== "loading" || new Promise((r) => addEventListener("DOMContentLoaded", () => r(true), {once: true}))
  : document.readyState === "complete" || new Promise((r) => addEventListener("load", () => r(true), {once: true}))

// hastext.js is one poll of a session's wait for text: whether the page's
// rendered text (document.body.innerText) holds text, or, with gone,
// whether it does not. A document without a body holds no text.
(text, gone) => {
  const has = !!document.body && document.body.innerText.includes(text);
  return gone ? !has : has;
}

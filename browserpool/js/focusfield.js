// focusfield.js is called on the field a type action targets, as this,
// before the text is typed. It throws, with a message for the agent, for
// an element that takes no typing (not a text input, textarea or
// contenteditable element) or a field that is disabled or read-only;
// otherwise it scrolls the field into view, focuses it and selects all of
// its content, so that what is typed replaces it, as a person selecting
// all and typing would. It returns nothing.
function() {
  const el = this;
  const editable = el.isContentEditable || (el.localName === "textarea") ||
    (el.localName === "input" && !["checkbox", "radio", "file", "submit", "button", "reset", "image", "range", "color"].includes(el.type));
  if (!editable) throw new Error("the element is not a text field (it is " + el.localName + (el.type ? " type=" + el.type : "") + ")");
  if (el.disabled) throw new Error("the field is disabled");
  if (el.readOnly) throw new Error("the field is read-only");
  el.scrollIntoView({block: "center", behavior: "instant"});
  el.focus();
  if (el.isContentEditable) {
    const r = document.createRange(); r.selectNodeContents(el);
    const s = getSelection(); s.removeAllRanges(); s.addRange(r);
  } else if (typeof el.select === "function") {
    el.select();
  }
}

// clearfield.js is called on a field focusfield.js accepted, as this, when
// the text to type is empty: typing nothing does not clear a field, so it
// empties the field's value (or a contenteditable element's text) and
// fires the input and change events that typing and leaving it would. It
// returns nothing.
function() {
  if (this.isContentEditable) this.textContent = ""; else this.value = "";
  this.dispatchEvent(new Event("input", {bubbles: true}));
  this.dispatchEvent(new Event("change", {bubbles: true}));
}

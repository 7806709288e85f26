// fileinput.js is called on the element an upload action targets, as
// this, before the file is set on it. It throws, with a message for the
// agent, unless the element is a file input that is not disabled. It
// returns nothing.
function() {
  if (this.localName !== "input" || this.type !== "file") throw new Error("the element is not a file input (it is " + this.localName + ")");
  if (this.disabled) throw new Error("the file input is disabled");
}

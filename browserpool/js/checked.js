// checked.js is called on a checkbox, radio button or ARIA checkbox,
// radio or switch (aria-checked "true" or "false"), as this, and returns
// whether it is checked. It throws for any other element.
function() {
  if (this.localName === "input" && (this.type === "checkbox" || this.type === "radio")) return this.checked;
  const a = this.getAttribute && this.getAttribute("aria-checked");
  if (a === "true" || a === "false") return a === "true";
  throw new Error("the element is not a checkbox or radio button");
}

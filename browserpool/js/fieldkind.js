// fieldkind.js is called on a field a fill action names, as this, and
// returns how a value is set on it: "select" for a select, "check" for a
// checkbox or radio button (an input, or an element with the ARIA role
// checkbox, radio or switch), "text" for anything else (typed into).
function() {
  if (this.localName === "select") return "select";
  if (this.localName === "input" && (this.type === "checkbox" || this.type === "radio")) return "check";
  const role = this.getAttribute && this.getAttribute("role");
  if (role === "checkbox" || role === "radio" || role === "switch") return "check";
  return "text";
}

// selectoptions.js is called on a select, as this, with values, an array
// of strings: each names an option by its value or, failing that, by its
// label or text (trimmed). It selects exactly those options and fires the
// input and change events a person's choice would. It throws, with a
// message for the agent, for an element that is not a select, a disabled
// select, more than one value for a select of one option, or a value no
// option has (the message lists the options). It returns nothing.
function(values) {
  if (this.localName !== "select") throw new Error("the element is not a select (it is " + this.localName + ")");
  if (this.disabled) throw new Error("the select is disabled");
  if (values.length > 1 && !this.multiple) throw new Error("the select takes one option, not " + values.length);
  const chosen = [];
  for (const v of values) {
    const o = [...this.options].find(o => o.value === v) || [...this.options].find(o => o.label.trim() === v.trim() || o.textContent.trim() === v.trim());
    if (!o) throw new Error("no option " + JSON.stringify(v) + "; the options are " + [...this.options].slice(0, 20).map(o => JSON.stringify(o.label.trim() || o.value)).join(", "));
    chosen.push(o);
  }
  for (const o of this.options) o.selected = chosen.includes(o);
  this.dispatchEvent(new Event("input", {bubbles: true}));
  this.dispatchEvent(new Event("change", {bubbles: true}));
}

// center.js is called on the element (or text node) a click or hover
// targets, as this. It scrolls the element into the middle of the viewport
// and returns the middle of its box in viewport coordinates, {x, y}, where
// the mouse goes; or null when it takes no space (display: none, empty),
// for the caller to click it from script. It throws for a node that has
// left the document since it was found.
function() {
  if (!this.isConnected) throw new Error("the element is no longer on the page");
  const el = this.nodeType === 1 ? this : this.parentElement;
  el.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return null;
  return {x: r.x + r.width / 2, y: r.y + r.height / 2};
}

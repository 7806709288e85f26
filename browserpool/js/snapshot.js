// snapshot.js reads the document as a person sees it, in one pass:
//
//   - the HTML of the composed tree: open shadow roots (attached by script
//     or declared in markup) in place of their hosts' children, slots
//     replaced by what is assigned to them, and, when frames are included,
//     each frame's document in place of its iframe, wrapped in
//     <div data-sous-frame="URL">, to depth 3 and within a size budget.
//     Frames this document cannot reach (another origin, another process)
//     come from a.frames, read beforehand in their own documents and keyed
//     by an expando the caller set on their iframe elements;
//   - the elements a person cannot see although their markup does not say
//     so (hidden by a stylesheet, squeezed to no size, clipped away, off
//     the page, text the colour of its background), named by their index
//     among the elements of that HTML in document order (the order a
//     parser of it counts them in) and their tag, so that the extractor
//     can find them in its own parse and check it found the same ones;
//     their descendants are not listed; html and body never are, nor what
//     is never shown (head, script, style…); at most 5,000;
//   - for each of a.selectors, the boxes of its first a.maxBoxes matches.
//
// With a.bodyOnly (a frame read for its parent), only the body's children
// are serialised: a document inside a div keeps no head.
(a) => {
  const HTML_NS = "http://www.w3.org/1999/xhtml";
  const voids = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen", "param"]);
  const rawText = new Set(["style", "script", "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript"]);
  const unread = new Set(["head", "script", "style", "noscript", "template", "link", "meta"]);
  const maxHidden = 5000, maxDepth = 3;
  const maxBytes = a.maxBytes || 32 << 20, maxFrameBytes = a.maxFrameBytes || 2 << 20;
  const out = [], hidden = [];
  let bytes = 0, index = 0, frames = 0, framesCut = 0;
  const emit = (s) => { out.push(s); bytes += s.length; };
  const escText = (s) => s.replace(/[&<>\u00a0]/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&nbsp;");
  const escAttr = (s) => s.replace(/[&"\u00a0]/g, (c) => c === "&" ? "&amp;" : c === '"' ? "&quot;" : "&nbsp;");
  const attrs = (el) => {
    let s = "";
    for (const at of el.attributes) s += " " + at.name + '="' + escAttr(at.value) + '"';
    return s;
  };

  const rgb = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const v = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return v.length > 3 && v[3] === 0 ? null : v.slice(0, 3); };
  const ownText = (el) => { for (const n of el.childNodes) if (n.nodeType === 3 && n.data.trim()) return true; return false; };
  // bg is the colour behind el's text: its own background, else its
  // parent's; null over an image, where no judgement is made.
  const hides = (el, s, bg, win) => {
    if (s.display === "none" || s.visibility === "hidden" || s.visibility === "collapse" || s.opacity === "0") return true;
    if (s.display === "contents") return false;
    const r = el.getBoundingClientRect();
    const clips = s.overflow !== "visible" || s.overflowX === "clip" || s.overflowY === "clip";
    const geometry = ((r.width < 1 || r.height < 1) && clips) || s.clip === "rect(0px, 0px, 0px, 0px)" || /inset\(50%\)/.test(s.clipPath) ||
      r.right + win.scrollX <= 0 || r.bottom + win.scrollY <= 0 || parseFloat(s.fontSize) === 0;
    if (geometry) return el.textContent.trim() !== "";
    if (ownText(el)) {
      const fg = rgb(s.color);
      if (!fg) return true; // transparent text
      if (bg && Math.abs(fg[0] - bg[0]) + Math.abs(fg[1] - bg[1]) + Math.abs(fg[2] - bg[2]) < 24) return true;
    }
    return false;
  };

  // c is the walk's context: check (hidden elements are still listed
  // here), bg (the colour behind), win (the element's window), depth (of
  // frames), shadow (inside a shadow tree, where slots are resolved),
  // uncounted (inside a template, whose elements a parser does not count).
  const node = (n, c) => {
    if (bytes > maxBytes) return;
    switch (n.nodeType) {
      case 1: element(n, c); return;
      case 3: {
        const p = n.parentNode;
        const raw = p && p.nodeType === 1 && p.namespaceURI === HTML_NS && rawText.has(p.localName);
        emit(raw ? n.data : escText(n.data));
        return;
      }
      case 8: emit("<!--" + n.data + "-->"); return;
      case 11: children(n.childNodes, c); return; // a shadow root or template content
    }
  };
  const children = (list, c) => { for (const n of list) node(n, c); };

  const element = (el, c) => {
    const tag = el.localName;
    const html = el.namespaceURI === HTML_NS;
    if (html && c.shadow && tag === "slot") {
      const assigned = el.assignedNodes();
      children(assigned.length > 0 ? assigned : el.childNodes, c);
      return;
    }
    if (html && tag === "template" && el.hasAttribute("shadowrootmode") && el.parentNode && !el.parentNode.shadowRoot) {
      // A declarative shadow root the parser did not attach (a document
      // written rather than parsed): its content is what shows.
      children(el.content.childNodes, {...c, shadow: true});
      return;
    }
    if (html && a.frames && !c.uncounted && (tag === "iframe" || tag === "frame") && c.depth < maxDepth && frame(el, c)) return;
    // A template's content is no part of the DOM: written out, not counted.
    const i = c.uncounted ? -1 : index++;
    emit("<" + tag + attrs(el) + ">");
    if (html && voids.has(tag)) return;
    let inner = c;
    if (c.check) {
      if (unread.has(tag)) {
        inner = {...c, check: false};
      } else {
        const s = c.win.getComputedStyle(el);
        const bg = s.backgroundImage !== "none" ? null : (rgb(s.backgroundColor) || c.bg);
        if (tag !== "html" && tag !== "body" && hidden.length < maxHidden && hides(el, s, bg, c.win)) {
          hidden.push({index: i, tag});
          inner = {...c, check: false};
        } else if (bg !== c.bg) {
          inner = {...c, bg};
        }
      }
    }
    if (html && tag === "template") {
      children(el.content.childNodes, {...inner, check: false, uncounted: true});
    } else if (el.shadowRoot) {
      children(el.shadowRoot.childNodes, {...inner, shadow: true});
    } else {
      children(el.childNodes, inner);
    }
    emit("</" + tag + ">");
  };

  // statusOf is the HTTP status of win's document, 0 when unknown (about:
  // and srcdoc frames, documents written by script).
  const statusOf = (win) => {
    try {
      const nav = win.performance.getEntriesByType("navigation")[0];
      return (nav && nav.responseStatus) || 0;
    } catch (e) { return 0; }
  };

  // frame writes the document of an iframe in its place and reports
  // whether it did; a frame it cannot read stays an iframe element, and so
  // does one whose document is an HTTP error (a missing page, or one the
  // network guard refused), which is no content of the page.
  const frame = (el, c) => {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false; // a beacon or a hidden helper, not content
    if (bytes > maxBytes - maxFrameBytes) { framesCut++; return false; }
    let doc = null;
    try { doc = el.contentDocument; } catch (e) { doc = null; }
    const from = a.frameDocs && el[a.frameKey] !== undefined ? a.frameDocs[el[a.frameKey]] : null;
    if (!(doc && doc.body) && !from) return false;
    if (doc && doc.defaultView && statusOf(doc.defaultView) >= 400) return false;
    const url = doc ? doc.URL : from.url;
    const i = index++;
    emit('<div data-sous-frame="' + escAttr(url) + '">');
    let inner = c;
    if (c.check) {
      const s = c.win.getComputedStyle(el);
      if (hidden.length < maxHidden && hides(el, s, c.bg, c.win)) {
        hidden.push({index: i, tag: "div"});
        inner = {...c, check: false};
      }
    }
    const before = bytes;
    if (doc && doc.body) {
      const win = doc.defaultView || c.win;
      children(doc.body.childNodes, {...inner, win, depth: c.depth + 1, shadow: false});
    } else {
      if (inner.check) for (const h of from.hidden) if (hidden.length < maxHidden) hidden.push({index: index + h.index, tag: h.tag});
      index += from.elements;
      emit(from.html);
    }
    if (bytes - before > maxFrameBytes) framesCut++;
    emit("</div>");
    frames++;
    return true;
  };

  const root = document.documentElement;
  const top = {check: true, bg: [255, 255, 255], win: window, depth: a.depth || 0, shadow: false};
  let doctype = "";
  if (a.bodyOnly) {
    if (document.body) children(document.body.childNodes, top);
  } else {
    const d = document.doctype;
    doctype = d ? "<!DOCTYPE " + d.name + (d.publicId ? ' PUBLIC "' + d.publicId + '"' : "") + (d.systemId ? ' "' + d.systemId + '"' : "") + ">\n" : "";
    if (root) node(root, top);
  }

  const boxes = {};
  for (const s of a.selectors || []) {
    let found;
    try { found = document.querySelectorAll(s); } catch (e) { continue; }
    const list = [];
    for (let i = 0; i < found.length && i < a.maxBoxes; i++) {
      const r = found[i].getBoundingClientRect();
      list.push({tag: found[i].localName, top: r.top + scrollY, left: r.left + scrollX, width: r.width, height: r.height});
    }
    boxes[s] = list;
  }
  return {
    url: location.href, title: document.title, html: doctype + out.join(""), status: statusOf(window),
    elements: index, hidden, boxes, frames, framesCut, truncated: bytes > maxBytes,
    // Navigations keepdocument.js cancelled, if it is installed.
    refused: ((window[Symbol.for("sous.keepdocument")] || {}).refused || []).slice(),
  };
}

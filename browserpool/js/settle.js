// settle.js is installed in every document before the page's own scripts
// (Page.addScriptToEvaluateOnNewDocument), and evaluated again before a
// settle in case it was not (a document written by setDocumentContent).
// It keeps what the settle step asks about the page that the network
// events do not show: when the DOM last changed, and which short timers
// are pending. A page's content often arrives by a timer ("fetch after a
// second", "redirect after 300 ms"), so a pending timer that will fire
// within the settle budget counts as activity. Timers that timers schedule
// are followed three levels deep only, so that a polling loop does not
// hold every render for its whole budget.
//
// It wraps setTimeout in a Proxy, which leaves the function looking
// native to the page, and reads the DOM with a MutationObserver. The
// state lives under a symbol in a non-enumerable property, out of the
// page's way.
(() => {
  const key = Symbol.for("sous.settle");
  if (window[key]) return true;
  const now = () => performance.now();
  const horizon = 60000; // the largest settle budget: later timers are never awaited
  const maxDepth = 3;
  let lastMutation = now(), marked = lastMutation;
  // When a followed timer last fired: what it set off (a fetch, a step of
  // a framework's scheduler) takes a moment to show in the network
  // events, so the page is not quiet for a moment after.
  let lastTimer = -1e9;
  let depth = 0; // nesting of the timer callback running now
  const pending = new Map(); // timer id -> time it is due
  const nativeSet = window.setTimeout, nativeClear = window.clearTimeout;
  window.setTimeout = new Proxy(nativeSet, {
    apply(target, self, args) {
      const [callback, delay] = args;
      const wait = Math.max(0, Number(delay) || 0);
      if (typeof callback !== "function" || wait > horizon || depth >= maxDepth) {
        return Reflect.apply(target, self, args);
      }
      const level = depth + 1;
      let id;
      args[0] = function () {
        pending.delete(id);
        const outer = depth;
        depth = level;
        try { return callback.apply(this, arguments); } finally { depth = outer; lastTimer = now(); }
      };
      id = Reflect.apply(target, self, args);
      pending.set(id, now() + wait);
      return id;
    },
  });
  window.clearTimeout = new Proxy(nativeClear, {
    apply(target, self, args) {
      pending.delete(args[0]);
      return Reflect.apply(target, self, args);
    },
  });
  // A request the page's script makes (fetch, XHR) is activity from the
  // call until what answers it has run: the browser's network events show
  // it a moment after the call, and end a moment before the page's handler
  // has used the answer, gaps a busy machine makes long enough for a settle
  // poll to fall into. Only requests younger than requestHorizon count, so
  // that a long poll or a stream is not awaited (the network events drop
  // those too).
  const requestHorizon = 2000;
  const requests = new Map(); // request number -> when it was asked for
  let requestCount = 0;
  const begin = () => { const id = ++requestCount; requests.set(id, now()); return id; };
  // The handlers of an answer run as microtasks or events right after it;
  // the request ends with a task after those.
  const end = (id) => { nativeSet.call(window, () => requests.delete(id), 0); };
  const track = (promise) => {
    const id = begin();
    promise.then(() => end(id), () => end(id));
    return promise;
  };
  const tracked = {
    apply(target, self, args) { return track(Reflect.apply(target, self, args)); },
  };
  if (window.fetch) window.fetch = new Proxy(window.fetch, tracked);
  if (window.Response) {
    for (const read of ["json", "text", "arrayBuffer", "blob", "formData", "bytes"]) {
      if (Response.prototype[read]) Response.prototype[read] = new Proxy(Response.prototype[read], tracked);
    }
  }
  if (window.XMLHttpRequest) {
    const proto = XMLHttpRequest.prototype;
    const listen = proto.addEventListener; // before the proxy below
    proto.send = new Proxy(proto.send, {
      apply(target, self, args) {
        const id = begin();
        try {
          Reflect.apply(listen, self, ["loadend", () => end(id)]);
          return Reflect.apply(target, self, args);
        } catch (e) {
          requests.delete(id);
          throw e;
        }
      },
    });
  }
  new MutationObserver(() => { lastMutation = now(); })
    .observe(document, {childList: true, subtree: true, characterData: true});
  // A navigation to another document the page has just started (a script
  // redirect) reaches the browser's events a moment later: until it is
  // under way there, it is this document's activity.
  let leaving = false;
  if (window.navigation) {
    navigation.addEventListener("navigate", (e) => {
      if (e.destination.sameDocument) return;
      leaving = true;
      queueMicrotask(() => { if (e.defaultPrevented) leaving = false; });
    });
    navigation.addEventListener("navigateerror", () => { leaving = false; });
  }
  // Whether the page watches the viewport (an IntersectionObserver that
  // observes something, or a scroll listener on the window or document):
  // content that loads on view is loaded by one of these, and a page with
  // neither needs no scroll pass (scroll.js).
  let watchesView = false;
  if (window.IntersectionObserver) {
    const proto = IntersectionObserver.prototype;
    proto.observe = new Proxy(proto.observe, {
      apply(target, self, args) {
        watchesView = true;
        return Reflect.apply(target, self, args);
      },
    });
  }
  const viewEvents = new Set(["scroll", "wheel", "touchmove"]);
  EventTarget.prototype.addEventListener = new Proxy(EventTarget.prototype.addEventListener, {
    apply(target, self, args) {
      if (viewEvents.has(args[0]) && (self === window || self === document ||
          self === document.documentElement || self === document.body)) {
        watchesView = true;
      }
      return Reflect.apply(target, self, args);
    },
  });
  Object.defineProperty(window, key, {
    enumerable: false,
    value: {
      // state says whether the DOM changed since the last mark (and sets
      // a new one when mark is true), how long it has been still, in
      // milliseconds, how long since a followed timer fired, how many
      // timers will fire within the next within milliseconds, how many
      // requests its script awaits, whether the page is leaving for
      // another document, and whether it is still being parsed.
      state(within, mark) {
        const t = now();
        let timers = 0, awaited = 0;
        for (const due of pending.values()) if (due - t <= within) timers++;
        for (const asked of requests.values()) if (t - asked < requestHorizon) awaited++;
        const changed = lastMutation > marked;
        if (mark) marked = t;
        // A document still being parsed has scripts to come, which may
        // set the timers and requests that would say it is busy.
        const parsing = document.readyState === "loading";
        return {changed, quietMs: t - lastMutation, timerQuietMs: t - lastTimer, timers, requests: awaited, leaving, parsing};
      },
      // watchesView says whether the page's scripts watch the viewport.
      watchesView() {
        return watchesView || !!(window.onscroll || document.onscroll || (document.body && document.body.onscroll));
      },
    },
  });
  return true;
})()

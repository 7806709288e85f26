// overlay.js removes cookie and consent banners, and generic modal
// overlays that ask for consent, from the page before it is read or
// captured: an agent never clicks them, and a person reading the page
// looks past them. Nothing is clicked, accepted or refused; the elements
// are taken out of the DOM, and a scroll lock they left on html or body
// is lifted. It returns a short description of each overlay removed.
() => {
  const removed = [];
  // The containers of the consent platforms, from their documentation.
  const vendors = [
    ["OneTrust", "#onetrust-consent-sdk, #onetrust-banner-sdk, #onetrust-pc-sdk"],
    ["Cookiebot", "#CybotCookiebotDialog, #CybotCookiebotDialogBodyUnderlay"],
    ["Didomi", "#didomi-host, .didomi-popup-backdrop"],
    ["Quantcast", "#qc-cmp2-container, .qc-cmp2-container, #qc-cmp2-ui"],
    ["TrustArc", "#truste-consent-track, #consent_blackbar, .truste_overlay, .truste_box_overlay, #truste-consent-content"],
    ["Usercentrics", "#usercentrics-root, #usercentrics-cmp-ui, #uc-banner"],
    ["Sourcepoint", "[id^='sp_message_container'], .sp_veil, .message-overlay[class*='sp_']"],
    ["Osano", ".osano-cm-window, .osano-cm-dialog"],
    ["Iubenda", "#iubenda-cs-banner"],
    ["Cookie Consent", ".cc-window, .cc-banner, #cc-main"],
    ["CookieYes", ".cky-consent-container, .cky-overlay"],
    ["Complianz", "#cmplz-cookiebanner-container, .cmplz-cookiebanner"],
    ["Funding Choices", ".fc-consent-root"],
    ["consentmanager", "#cmpbox, #cmpbox2"],
    ["HubSpot", "#hs-eu-cookie-confirmation"],
  ];
  for (const [vendor, selector] of vendors) {
    for (const el of document.querySelectorAll(selector)) {
      if (el.isConnected && el !== document.body && el !== document.documentElement) {
        el.remove();
        removed.push(vendor);
      }
    }
  }
  // Generic overlays: a fixed or sticky box laid over the page that talks
  // of cookies, consent or privacy and offers a button to accept or refuse.
  const topic = /\b(cookies?|consent|gdpr|partners|personal data|your (privacy )?choices)\b/i;
  const answer = /\b(accept|agree|allow|reject|decline|refuse|consent|got it|i understand|ok|continue|manage (options|preferences|settings))\b/i;
  const vw = window.innerWidth, vh = window.innerHeight;
  const overlayOf = (el) => {
    for (let a = el; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.position !== "fixed" && s.position !== "sticky") continue;
      const r = a.getBoundingClientRect();
      const covers = r.width * r.height >= 0.3 * vw * vh;
      const docked = r.width >= 0.5 * vw && (r.bottom >= vh - 2 || r.top <= 2);
      const z = parseInt(s.zIndex, 10);
      if ((covers || docked) && (covers || z > 0 || s.position === "fixed")) return a;
      return null;
    }
    return null;
  };
  const root = document.body || document.documentElement;
  if (!root) return removed;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(), count = 0; n && count < 20000; n = walker.nextNode(), count++) {
    if (!topic.test(n.data)) continue;
    const box = n.parentElement && overlayOf(n.parentElement);
    if (!box || seen.has(box)) continue;
    seen.add(box);
    if (box.textContent.length > 4000) continue; // the page itself, not a banner
    const buttons = box.querySelectorAll("button, a, input[type=button], input[type=submit], [role=button]");
    let asks = false;
    for (const b of buttons) if (answer.test(b.textContent || b.value || "")) { asks = true; break; }
    if (!asks) continue;
    box.remove();
    removed.push("consent overlay");
  }
  if (removed.length > 0) {
    // A backdrop left behind: a fixed veil over the whole viewport, with
    // no text of its own.
    for (const el of document.querySelectorAll("body > div, body > section, body > aside")) {
      const s = getComputedStyle(el);
      if (s.position !== "fixed" || el.textContent.trim() !== "") continue;
      const r = el.getBoundingClientRect();
      if (r.width >= 0.9 * vw && r.height >= 0.9 * vh) el.remove();
    }
    for (const el of [document.documentElement, document.body]) {
      if (el && getComputedStyle(el).overflowY === "hidden") el.style.setProperty("overflow", "visible", "important");
    }
  }
  return removed;
}

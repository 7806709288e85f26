// localstorage.js reads the local storage of the page's origin, for a
// session's exported storage state: {origin, localStorage: [{name,
// value}]}, its first 1000 items. It returns null for a page that is not
// http(s), or whose storage cannot be read (a sandboxed or opaque origin
// throws).
() => {
  try {
    if (!/^https?:$/.test(location.protocol)) return null;
    const items = [];
    for (let i = 0; i < localStorage.length && i < 1000; i++) {
      const k = localStorage.key(i);
      items.push({name: k, value: localStorage.getItem(k)});
    }
    return {origin: location.origin, localStorage: items};
  } catch (e) {
    return null;
  }
}

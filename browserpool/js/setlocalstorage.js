// setlocalstorage.js sets items, an array of {name, value}, in the local
// storage of the page's origin, for a session's imported storage state.
// It returns true.
(items) => {
  for (const it of items) localStorage.setItem(it.name, it.value);
  return true;
}

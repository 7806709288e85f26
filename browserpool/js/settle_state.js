// settle_state.js reads what settle.js keeps: (within, mark) =>
// {changed, quietMs, timerQuietMs, timers, requests, leaving, parsing}, or null in a document where it is not
// installed. With mark, DOM changes count from now on.
(within, mark) => {
  const s = window[Symbol.for("sous.settle")];
  return s ? s.state(within, mark) : null;
}

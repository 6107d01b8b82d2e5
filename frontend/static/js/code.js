// code.js: participation codes. A card's QR code leads to /code#CODE: the
// code travels in the fragment, which browsers never send, so neither the
// server nor a proxy log ever sees it. This puts it into the form and
// takes it out of the address bar (and the history). On the card page it
// shows the print button, which needs a script. Both pages work without it.

const input = document.getElementById("field-code");
if (input && location.hash.length > 1) {
  const code = decodeURIComponent(location.hash.slice(1)).replace(/[^0-9A-Za-z-]/g, "").slice(0, 20);
  if (!input.value) input.value = code;
  history.replaceState(null, "", location.pathname + location.search);
}

for (const button of document.querySelectorAll("button[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

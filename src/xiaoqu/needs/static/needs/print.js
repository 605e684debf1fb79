/* The print pages' "打印" button, wired here because pages carry no inline script. Without
 * JavaScript the button stays hidden and the browser's own print command prints the page. */
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (!button || typeof window.print !== "function") { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();

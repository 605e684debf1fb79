/* The monthly evaluation page (stewardship/evaluation/evaluation_form.html): choosing a month
 * shows it at once, and the total of the scores follows what is typed. Without JavaScript the
 * month form has its own button and the total is computed on the server when submitted. */
(function () {
  "use strict";
  var pick = document.getElementById("month-pick");
  if (pick) {
    pick.addEventListener("change", function () { pick.form.submit(); });
  }
  var form = document.getElementById("evaluation-form");
  var out = document.getElementById("total-value");
  if (!form || !out) { return; }
  function total() {
    var sum = 0, all = true;
    form.querySelectorAll("input[type=number]").forEach(function (input) {
      var v = parseInt(input.value, 10);
      if (isNaN(v)) { all = false; } else { sum += v; }
    });
    out.textContent = all ? sum : "—";
  }
  form.addEventListener("input", total);
  total();
})();

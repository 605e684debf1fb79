/* A resident's report from the phone (needs/opinions/opinion_new.html,
 * stewardship/orders/order_new.html): one tap sends once (further taps while sending are
 * ignored; the form's key makes a second send harmless anyway), and the "attach my position"
 * button fills the form's latitude and longitude. The form names its texts and its submit
 * button in data attributes: data-submit, data-t-sending, data-t-locating, data-t-located,
 * data-t-nolocation. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-report-form]");
  if (!form) { return; }
  var data = form.dataset;
  var status = document.getElementById("locate-status");
  var button = document.getElementById("locate");
  var lat = form.querySelector("input[name=latitude]");
  var lon = form.querySelector("input[name=longitude]");
  form.addEventListener("submit", function () {
    var submit = document.getElementById(data.submit);
    setTimeout(function () {
      if (submit) { submit.disabled = true; submit.textContent = data.tSending; }
    }, 0);
  });
  if (!button || !status || !("geolocation" in navigator)) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    if (data.tLocating) { status.textContent = data.tLocating; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      status.textContent = data.tLocated;
    }, function () {
      lat.value = ""; lon.value = "";
      status.textContent = data.tNolocation;
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
})();

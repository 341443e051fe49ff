// lingtan screens: small behaviours that need no server round trip.
// A <select> or <input> marked data-autosubmit submits its form when changed.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () {
      if (field.form) field.form.submit();
    });
  });
});

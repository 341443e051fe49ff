// The reports page: a form starts a report job through the API (POST
// /api/v1/inventories/{id}/reports with the session's CSRF token), then polls
// GET /api/v1/report-jobs/{job} every second, showing its progress, until the files are
// ready; each file becomes a download link.
(function () {
  var POLL_MS = 1000;

  function checked(form, name) {
    return Array.prototype.map.call(
      form.querySelectorAll("input[name=" + name + "]:checked"),
      function (box) { return box.value; }
    );
  }

  function show(form, job) {
    var box = form.querySelector(".job");
    var pct = job.tasks ? Math.round((100 * job.tasks_done) / job.tasks) : 0;
    box.hidden = false;
    box.dataset.status = job.status;
    var bar = box.querySelector(".progress");
    bar.setAttribute("aria-valuenow", String(pct));
    bar.querySelector(".bar").style.width = pct + "%";
    var progress = form.dataset.msgProgress
      .replace("{done}", job.tasks_done).replace("{total}", job.tasks);
    var text = form.dataset["msg" + job.status.charAt(0).toUpperCase() + job.status.slice(1)];
    box.querySelector(".status").textContent =
      text + " · " + progress + (job.error ? " · " + job.error : "");
    var list = box.querySelector(".files");
    list.textContent = "";
    job.files.forEach(function (name) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/api/v1/report-jobs/" + job.id + "/files/" + encodeURIComponent(name);
      link.textContent = name;
      link.setAttribute("download", name);
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  function poll(form, id) {
    fetch("/api/v1/report-jobs/" + id, { credentials: "same-origin" })
      .then(function (answer) { return answer.json(); })
      .then(function (job) {
        if (job.error && !job.id) throw new Error(job.error.message);
        show(form, job);
        if (job.status === "queued" || job.status === "running") {
          setTimeout(function () { poll(form, id); }, POLL_MS);
        } else {
          form.querySelector("button[type=submit]").disabled = false;
        }
      })
      .catch(function (error) { failed(form, error); });
  }

  function failed(form, error) {
    var box = form.querySelector(".job");
    box.hidden = false;
    box.dataset.status = "failed";
    box.querySelector(".status").textContent = form.dataset.msgFailed + " · " + error.message;
    form.querySelector("button[type=submit]").disabled = false;
  }

  function start(event) {
    event.preventDefault();
    var form = event.target;
    var body = { langs: checked(form, "langs"), formats: checked(form, "formats") };
    if (!body.langs.length || !body.formats.length) {
      failed(form, new Error(form.dataset.msgChoose));
      return;
    }
    form.querySelector("button[type=submit]").disabled = true;
    fetch("/api/v1/inventories/" + form.dataset.report + "/reports", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
      body: JSON.stringify(body),
    })
      .then(function (answer) {
        return answer.json().then(function (job) {
          if (!answer.ok) throw new Error(job.error ? job.error.message : answer.statusText);
          return job;
        });
      })
      .then(function (job) {
        show(form, job);
        setTimeout(function () { poll(form, job.id); }, POLL_MS);
      })
      .catch(function (error) { failed(form, error); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.report-form").forEach(function (form) {
      form.addEventListener("submit", start);
    });
  });
})();

// The push pages: wait for the device's answer on server-sent events (reconnecting with
// backoff), or by fetching the status where EventSource is missing, then post the page's
// form, which checks the answer on the server. No inline script: the CSP forbids it.
(function () {
  "use strict";
  var wait = document.getElementById("push-wait");
  if (!wait) {
    return;
  }
  var form = wait.closest("form");
  var state = document.getElementById("push-state");
  var events = wait.getAttribute("data-events");
  var statusUrl = wait.getAttribute("data-status");
  var messages = {
    rejected: "The request was denied on your device.",
    expired: "The request expired before it was answered. Send a new one.",
    enrolled: "Your device is set up. Continuing…",
    approved: "Approved. Continuing…"
  };
  var done = false;

  function finish(status) {
    if (done || !status || status === "pending") {
      return;
    }
    done = true;
    state.textContent = messages[status] || status;
    if (status === "approved" || status === "enrolled") {
      form.submit();
      return;
    }
    state.setAttribute("role", "alert");
    state.id = "push-ended";
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.classList.add("hidden");
    }
  }

  function poll(delay) {
    window.setTimeout(function () {
      window.fetch(statusUrl, { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : Promise.reject(response.status);
        })
        .then(function (body) {
          finish(body.status);
          if (!done) {
            poll(3000);
          }
        })
        .catch(function () {
          if (!done) {
            poll(Math.min(delay * 2, 30000));
          }
        });
    }, delay);
  }

  function listen(backoff) {
    if (!events || !window.EventSource) {
      poll(2000);
      return;
    }
    var source = new window.EventSource(events);
    source.addEventListener("answer", function (event) {
      source.close();
      finish(JSON.parse(event.data).status);
    });
    source.onopen = function () {
      backoff = 1000;
    };
    source.onerror = function () {
      source.close();
      if (!done) {
        window.setTimeout(function () {
          listen(Math.min(backoff * 2, 30000));
        }, backoff);
      }
    };
  }

  listen(1000);
})();

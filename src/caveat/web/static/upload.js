// The upload form, enhanced: drop a file on it and watch a progress bar. Without this
// script the form still posts as usual; the server streams the file either way.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  const input = document.getElementById("file");
  const zone = document.getElementById("dropzone");
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const percent = document.getElementById("upload-percent");
  const button = form.querySelector("button[type=submit]");

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) input.files = event.dataTransfer.files;
  });

  function showError(text) {
    let note = document.getElementById("upload-error");
    if (!note) {
      note = document.createElement("p");
      note.id = "upload-error";
      note.className = "error";
      note.setAttribute("role", "alert");
      form.parentNode.insertBefore(note, form);
    }
    note.textContent = text;
    note.scrollIntoView({ block: "center" });
  }

  // That refusal goes once the live check finds a label the uploader may read.
  document.addEventListener("htmx:afterSettle", function () {
    const note = document.getElementById("upload-error");
    if (note && note.dataset.fromCheck && !document.querySelector("#label-result [data-unreadable]")) {
      note.remove();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    // The live check found that the uploader could not read the result: the server
    // would refuse it, so say so now rather than after sending the whole file.
    const unreadable = document.querySelector("#label-result [data-unreadable]");
    if (unreadable) {
      showError("You could not read content with this label yourself, so the upload would be refused. Choose a label you may read.");
      document.getElementById("upload-error").dataset.fromCheck = "1";
      return;
    }
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    box.hidden = false;
    bar.value = 0;
    percent.textContent = "0%";
    button.disabled = true;
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) return;
      const done = Math.round((progress.loaded * 100) / progress.total);
      bar.value = done;
      percent.textContent = done + "%";
    });
    request.addEventListener("load", function () {
      if (request.status < 400 && request.responseURL) {
        window.location.assign(request.responseURL);
        return;
      }
      button.disabled = false;
      box.hidden = true;
      const page = new DOMParser().parseFromString(request.responseText, "text/html");
      const reason = page.querySelector("#upload-error, main .error, main p");
      showError(reason ? reason.textContent : "The upload failed (" + request.status + ").");
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      showError("The connection failed; nothing was stored. Try again.");
    });
    request.send(new FormData(form));
  });
})();

// Loads the page's module, and says so when it cannot run rather than leaving "Computing…" up
// for ever: opened as a file (browsers refuse modules and wasm from file://), or the module
// failing to load (blocked, missing, offline). A classic script, so it runs where modules do not.
(function () {
  function fail(message) {
    document.getElementById("verdict").textContent = "inferplan could not start";
    document.getElementById("error").textContent = message;
  }
  if (location.protocol === "file:") {
    fail("This page was opened as a file, and browsers do not run its WebAssembly from file://. Serve it over http: `make serve` in the repository, or any static server in this directory and pkg/.");
    return;
  }
  var script = document.createElement("script");
  script.type = "module";
  script.src = "app.js";
  script.onerror = function () {
    fail("The page's script (app.js) could not be loaded: check the connection, and that a Content-Security-Policy allows script-src 'self' and 'wasm-unsafe-eval'.");
  };
  document.body.appendChild(script);
})();

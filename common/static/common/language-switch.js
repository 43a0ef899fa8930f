// The admin header's language switch submits as soon as a language is chosen. A file of
// its own: the Content-Security-Policy runs no script written into the page.
"use strict";
document.getElementById("language-select")?.addEventListener("change", (event) => {
  event.target.form.submit();
});

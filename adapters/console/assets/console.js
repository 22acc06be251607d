// Keeps a customer's timeline current while the page is open: it asks for
// the timeline every second and a half, and replaces it when it changed
// (an unchanged one answers 304 by its ETag). The customer-id lookup form
// goes to the customer's page.
"use strict";

function follow(box) {
  let tag = "";
  const refresh = async () => {
    try {
      const answer = await fetch(box.dataset.src, { headers: tag ? { "If-None-Match": tag } : {}, credentials: "same-origin" });
      if (answer.status === 200) {
        tag = answer.headers.get("ETag") || "";
        box.innerHTML = await answer.text();
      }
    } catch (e) {
      // the console is restarting: try again at the next tick
    }
  };
  setInterval(refresh, 1500);
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("timeline");
  if (box) follow(box);
  const lookup = document.getElementById("lookup");
  if (lookup) {
    lookup.addEventListener("submit", (e) => {
      e.preventDefault();
      const id = document.getElementById("lookup-id").value.trim();
      if (id) window.location.assign("/customers/" + encodeURIComponent(id));
    });
  }
});

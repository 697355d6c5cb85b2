#pragma once
// The style sheet and script every HTML report carries inline (html_report.cpp).

namespace dti::reports::html {

// Everything inline: the page must open from disk with no network.
inline constexpr const char* kStyle = R"css(
body { font-family: sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th:first-child { text-align: left; }
table.paper tr.group th, table.paper tr.group td { border-top: 2px solid #444; }
caption { font-weight: bold; text-align: left; padding: 4px 0; }
ul.notes { font-size: 12px; color: #444; }
.gallery { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; text-align: center; font-size: 11px; }
img { image-rendering: pixelated; background: #fff; }
.gallery img { height: 96px; }
table.samples img { height: 96px; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
.missing, img.broken { color: #b00; outline: 2px solid #b00; }
.stale { color: #b00; font-weight: bold; }
.wide { overflow-x: auto; }
pre { background: #f6f6f6; padding: 8px; font-size: 12px; overflow-x: auto; }
)css";

// Marks images that failed to load and records the count, so a reader (or a headless browser
// test) sees at once whether every picture is there.
inline constexpr const char* kImageCheck = R"js(
window.addEventListener('load', function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; ++i) {
    if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
    else { images[i].classList.add('broken'); }
  }
  document.body.setAttribute('data-images-loaded', loaded + '/' + images.length);
});
)js";

}  // namespace dti::reports::html

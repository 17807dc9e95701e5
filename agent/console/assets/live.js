// Plays the relay's MPEG-1 stream (token in the URL) on the canvas with the bundled jsmpeg.
// The JavaScript decoder: the console's CSP has no 'wasm-unsafe-eval'.
(function () {
  var canvas = document.getElementById('live');
  if (!canvas || typeof window.JSMpeg === 'undefined') return;
  var url = canvas.getAttribute('data-url');
  var Player = window.JSMpeg.Player || (window.JSMpeg.default && window.JSMpeg.default.Player);
  if (!url || !Player) return;
  new Player(url, { canvas: canvas, audio: false, autoplay: true, pauseWhenHidden: false, disableWebAssembly: true });
})();

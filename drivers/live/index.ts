// Live-view driver: tokens, the authenticated WebSocket relay, and the MPEG-1 feed (ffmpeg).
export { LiveTokens, type IssuedToken, type LiveTokenEntry } from './tokens.js';
export { LIVE_CLOSE, LiveRelay, type LiveFeedStats, type LiveLog, type LiveRelayOptions } from './relay.js';
export { Mpeg1Feed, mpeg1Args, type FeedOptions } from './feed.js';

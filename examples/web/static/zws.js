// A ZeroMQ SUB socket for the browser: ZWS 2.0 (ZeroMQ over WebSocket,
// RFC 45) in plain JavaScript, without a bundler.
//
// Browsers speak bare "ZWS2.0": the WebSocket API refuses the subprotocol
// names with a mechanism ("ZWS2.0/NULL"), since "/" is not allowed in a
// token. Bare ZWS2.0 is ZMTP 2.0 inside WebSocket messages (aiomsg's
// docs/wire/draft.md, "ZWS 2.0"): no READY and no security; each side's
// first message is its routing id, one frame (ours is empty); then each
// binary message carries one frame behind a flags byte (0x00 last, 0x01
// more). A subscription is the data frame 0x01 + topic.
//
//   const sub = new ZwsSubscriber("ws://host:port/zmq/weather", {
//     topics: ["10001 "],
//     onMessage: frames => ...,          // an array of Uint8Array, one per frame
//     onStatus: (state, detail) => ...,  // "connecting", "ready", "closed"
//   })
//   sub.close()
//
// A lost connection is retried after a delay that doubles up to maxDelay.

const SUBPROTOCOL = "ZWS2.0"
const MORE = 0x01
const COMMAND = 0x02
const encoder = new TextEncoder()

function concat(parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export class ZwsSubscriber {
  constructor(url, {topics = [""], onMessage = () => {}, onStatus = () => {},
                    minDelay = 250, maxDelay = 5000} = {}) {
    this.url = url
    this.topics = topics.map(topic => typeof topic === "string" ? encoder.encode(topic) : topic)
    this.onMessage = onMessage
    this.onStatus = onStatus
    this.minDelay = minDelay
    this.maxDelay = maxDelay
    this.delay = minDelay
    this.closed = false
    this.timer = null
    this.open()
  }

  open() {
    this.ready = false
    this.frames = []
    this.onStatus("connecting", this.url)
    const ws = this.ws = new WebSocket(this.url, [SUBPROTOCOL])
    ws.binaryType = "arraybuffer"
    ws.onopen = () => {
      if (ws.protocol !== SUBPROTOCOL) return this.fail(`server chose subprotocol "${ws.protocol}"`)
      // Our routing id (empty), then the subscriptions: nothing waits for the server's.
      this.send(0, new Uint8Array(0))
      for (const topic of this.topics) this.send(0, concat([Uint8Array.of(1), topic]))
    }
    ws.onmessage = event => this.receive(event.data)
    ws.onclose = event => {
      if (this.ws !== ws) return
      this.ws = null
      this.onStatus("closed", event.reason || `code ${event.code}`)
      if (!this.closed) this.retry()
    }
  }

  retry() {
    this.timer = setTimeout(() => { this.timer = null; this.open() }, this.delay)
    this.delay = Math.min(this.delay * 2, this.maxDelay)
  }

  send(flags, body) {
    this.ws.send(concat([Uint8Array.of(flags), body]))
  }

  fail(reason) {
    // 1002: protocol error (RFC 6455 section 7.4.1); the reason shows in the status.
    this.ws.close(1002, reason.slice(0, 120))
  }

  receive(data) {
    if (!(data instanceof ArrayBuffer) || data.byteLength === 0) {
      return this.fail("expected binary messages with a ZWS flags byte")
    }
    const bytes = new Uint8Array(data)
    const flags = bytes[0]
    if (flags & COMMAND) return this.fail("bare ZWS2.0 carries no commands")
    if (!this.ready) {
      // The server's routing id: one frame, of no use to a SUB.
      if (flags & MORE) return this.fail("the routing id must be one frame")
      this.ready = true
      this.delay = this.minDelay
      return this.onStatus("ready", this.url)
    }
    this.frames.push(bytes.subarray(1))
    if (!(flags & MORE)) {
      const frames = this.frames
      this.frames = []
      this.onMessage(frames)
    }
  }

  close() {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.ws) this.ws.close(1000)
  }
}

// Socket.IO 4 as the benchmark's peer: rooms joined from the handshake, an HTTP publish endpoint.
//
//   node bench/peers/socketio/server.mjs [PORT] [REDIS_URL]
//       (or PORT=… / REDIS_URL=… in the environment; default port 8080, no Redis)
//
// Subscribers connect with `GET /socket.io/?EIO=4&transport=websocket&room=ID` (or start with
// long-polling and upgrade, as socket.io-client does) and join room ID ("bench" without one).
// `POST /publish/ID` with the message as its body does `io.to(ID).emit("message", body)`, then
// answers 202. "listening on 127.0.0.1:PORT" is printed once connections are accepted.
//
// One Node process, so one core: that is how Socket.IO is usually deployed (more cores mean more
// processes behind a sticky load balancer, plus an adapter such as Redis between them), and the
// comparison says so. Every option is Socket.IO's default: per-message deflate stays off (the
// engine hands ws `perMessageDeflate: undefined`, which ws reads as off), pings every 25 s with a
// 20 s timeout, ws without the optional native bufferutil/utf-8-validate addons.
//
// With a Redis URL it is one node of a cluster, as Socket.IO documents it: `@socket.io/redis-adapter`
// on two `redis` clients (a publisher and a subscriber), so an emit on any node reaches the room's
// sockets on every node that shares the Redis (bench/cluster.sh). The adapter's defaults are kept:
// one channel per namespace (`socket.io#/#`), each emit encoded once with msgpack and PUBLISHed.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const redisUrl = process.argv[3] ?? process.env.REDIS_URL ?? "";
const host = "127.0.0.1";
const publishPath = /^\/publish\/([^/?]+)$/;

// Requests under /socket.io/ never reach this handler: Socket.IO takes them first.
const httpServer = createServer((request, response) => {
  const match = publishPath.exec(request.url ?? "");
  if (request.method !== "POST" || !match) {
    response.writeHead(404, { "content-length": 0 }).end();
    return;
  }
  const room = decodeURIComponent(match[1]);
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    io.to(room).emit("message", Buffer.concat(chunks).toString("utf8"));
    response.writeHead(202, { "content-length": 0 }).end();
  });
});

const io = new Server(httpServer);
if (redisUrl !== "") {
  // Imported only here, so that the single-process peer runs without these packages' code.
  const [{ createClient }, { createAdapter }] = await Promise.all([
    import("redis"),
    import("@socket.io/redis-adapter"),
  ]);
  const pubClient = createClient({ url: redisUrl });
  const subClient = pubClient.duplicate();
  for (const client of [pubClient, subClient]) {
    client.on("error", (error) => console.error(`redis: ${error.message}`));
  }
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createAdapter(pubClient, subClient));
}

io.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  socket.join(typeof room === "string" && room !== "" ? room : "bench");
});

httpServer.listen(port, host, () => {
  console.log(`listening on ${host}:${port}${redisUrl ? ` (Redis adapter: ${redisUrl})` : ""}`);
});

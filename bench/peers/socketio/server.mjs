// Socket.IO 4 as the benchmark's peer: rooms joined from the handshake, an HTTP publish endpoint.
//
//   node bench/peers/socketio/server.mjs [PORT]     (or PORT=… in the environment; default 8080)
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
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
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

io.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  socket.join(typeof room === "string" && room !== "" ? room : "bench");
});

httpServer.listen(port, host, () => {
  console.log(`listening on ${host}:${port}`);
});

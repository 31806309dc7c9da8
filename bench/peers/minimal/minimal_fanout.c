/*
 * The minimal fan-out server: a peer for bench/compare.sh that does nothing but the job the
 * hot-session and chat-room scenarios measure, as cheaply as the machine allows, so that every
 * table shows how far each server is from what this machine can do (issue 12).
 *
 *   GET  /sub/{room}        Server-Sent Events, delimited by the connection's close
 *   GET  /ws/{room}         a WebSocket (RFC 6455) whose text messages are the room's batches
 *   POST /pub/{room}        the body is one message; answered 202 at once (keep-alive)
 *   GET  /healthz           200
 *
 * Every TICK_MS (24 by default, livechat's FLUSH_INTERVAL_MS) the tick builds, for each room
 * with new messages, one SSE event `data: ["m1","m2",…]` and one WebSocket frame of the same
 * array, once, and hands them to every I/O thread. A thread writes all the batches it has
 * waiting for a connection in one writev, so a thread that falls behind merges ticks.
 * One epoll loop per thread, each with its own SO_REUSEPORT listening socket. Nothing is kept:
 * no history, no ids, no durability, no authentication. A connection with more than 4 MiB
 * unwritten is closed.
 *
 * Usage: minimal_fanout PORT [THREADS] [TICK_MS]     (binds 127.0.0.1)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_ROOMS 1024
#define ROOM_NAME_MAX 64
#define REQUEST_MAX 65536
#define BACKLOG_MAX (4 << 20)
#define WRITE_BATCHES_MAX 64

/* One tick's output for one room, shared by every connection; freed by its last reference. */
struct batch {
  atomic_int references;
  int room;
  size_t sse_length, ws_length;
  char *sse, *ws;
};

enum kind { listener, http_client, sse_subscriber, ws_subscriber, wakeup, ticker, closed };

struct connection {
  enum kind kind;
  int fd;
  int room;
  char *request;  /* http_client: bytes read, not yet a whole request */
  size_t request_length, request_capacity;
  char *backlog;  /* subscribers: bytes a write did not take */
  size_t backlog_length;
  struct connection *next_in_room, *prev_in_room; /* subscribers; closed: the graveyard */
};

struct room {
  char name[ROOM_NAME_MAX + 1];
  char *pending; /* "\"m1\",\"m2\"" */
  size_t pending_length, pending_capacity;
};

struct thread {
  pthread_t id;
  int epoll, wake, index;
  struct connection wake_connection, tick_connection, listen_connection;
  pthread_mutex_t inbox_lock;
  struct batch **inbox;
  size_t inbox_length, inbox_capacity;
  struct connection *subscribers[MAX_ROOMS]; /* this thread's subscribers, per room */
  struct connection *graveyard; /* closed during this round of events, freed after it */
};

static struct room rooms[MAX_ROOMS];
static int room_count;
static pthread_mutex_t rooms_lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread threads[MAX_THREADS];
static int thread_count = 1, tick_ms = 24, port;

static void *checked(void *pointer) {
  if (!pointer) { perror("minimal_fanout: out of memory"); exit(1); }
  return pointer;
}

static void append(char **buffer, size_t *length, size_t *capacity, const char *bytes, size_t n) {
  if (*length + n > *capacity) {
    *capacity = (*length + n) * 2 + 256;
    *buffer = checked(realloc(*buffer, *capacity));
  }
  memcpy(*buffer + *length, bytes, n);
  *length += n;
}

/* The room's index, made on first use; -1 when the name is too long or the table is full.
 * Called with rooms_lock held. */
static int find_room(const char *name, size_t length) {
  if (length == 0 || length > ROOM_NAME_MAX) return -1;
  for (int i = 0; i < room_count; ++i)
    if (strlen(rooms[i].name) == length && memcmp(rooms[i].name, name, length) == 0) return i;
  if (room_count == MAX_ROOMS) return -1;
  memcpy(rooms[room_count].name, name, length);
  rooms[room_count].name[length] = 0;
  return room_count++;
}

static int room_of(const char *name, size_t length) {
  pthread_mutex_lock(&rooms_lock);
  int room = find_room(name, length);
  pthread_mutex_unlock(&rooms_lock);
  return room;
}

static void release(struct batch *batch) {
  if (atomic_fetch_sub(&batch->references, 1) == 1) {
    free(batch->sse);
    free(batch->ws);
    free(batch);
  }
}

static void watch(struct thread *thread, struct connection *connection, uint32_t events, int op) {
  struct epoll_event event = {.events = events, .data.ptr = connection};
  epoll_ctl(thread->epoll, op, connection->fd, &event);
}

static void close_connection(struct thread *thread, struct connection *connection) {
  if (connection->kind == sse_subscriber || connection->kind == ws_subscriber) {
    if (connection->prev_in_room) connection->prev_in_room->next_in_room = connection->next_in_room;
    else thread->subscribers[connection->room] = connection->next_in_room;
    if (connection->next_in_room) connection->next_in_room->prev_in_room = connection->prev_in_room;
  }
  close(connection->fd);
  /* Freed after the round of events: a later event of the same round may name it. */
  connection->kind = closed;
  connection->next_in_room = thread->graveyard;
  thread->graveyard = connection;
}

static void bury(struct thread *thread) {
  while (thread->graveyard) {
    struct connection *connection = thread->graveyard;
    thread->graveyard = connection->next_in_room;
    free(connection->request);
    free(connection->backlog);
    free(connection);
  }
}

/* Writes `count` pieces (after the backlog, if any); keeps what the socket did not take.
 * Returns 0, or -1 when the connection must go (an error, or too far behind). */
static int write_pieces(struct thread *thread, struct connection *connection, struct iovec *pieces,
                        int count) {
  struct iovec all[WRITE_BATCHES_MAX + 1];
  int n = 0;
  size_t total = 0;
  if (connection->backlog_length) {
    all[n].iov_base = connection->backlog;
    all[n++].iov_len = connection->backlog_length;
  }
  for (int i = 0; i < count; ++i) all[n++] = pieces[i];
  for (int i = 0; i < n; ++i) total += all[i].iov_len;
  ssize_t written = writev(connection->fd, all, n);
  if (written < 0) {
    if (errno != EAGAIN) return -1;
    written = 0;
  }
  if ((size_t)written == total) {
    connection->backlog_length = 0;
    if (connection->backlog) { free(connection->backlog); connection->backlog = NULL; }
    return 0;
  }
  if (total - (size_t)written > BACKLOG_MAX) return -1;
  char *rest = checked(malloc(total - (size_t)written));
  size_t at = 0, skip = (size_t)written;
  for (int i = 0; i < n; ++i) {
    if (skip >= all[i].iov_len) { skip -= all[i].iov_len; continue; }
    memcpy(rest + at, (char *)all[i].iov_base + skip, all[i].iov_len - skip);
    at += all[i].iov_len - skip;
    skip = 0;
  }
  free(connection->backlog);
  connection->backlog = rest;
  connection->backlog_length = at;
  watch(thread, connection, EPOLLIN | EPOLLOUT | EPOLLRDHUP, EPOLL_CTL_MOD);
  return 0;
}

static int write_text(struct thread *thread, struct connection *connection, const char *text) {
  struct iovec piece = {.iov_base = (void *)text, .iov_len = strlen(text)};
  return write_pieces(thread, connection, &piece, 1);
}

/* Every batch waiting for this thread, each room's in one writev per connection. */
static void deliver_inbox(struct thread *thread) {
  uint64_t ignored;
  if (read(thread->wake, &ignored, sizeof ignored) < 0) { /* nothing waiting */ }
  pthread_mutex_lock(&thread->inbox_lock);
  struct batch **batches = thread->inbox;
  size_t count = thread->inbox_length;
  thread->inbox = NULL;
  thread->inbox_length = thread->inbox_capacity = 0;
  pthread_mutex_unlock(&thread->inbox_lock);

  for (size_t first = 0; first < count; ++first) {
    if (!batches[first]) continue; /* went out with an earlier batch of its room */
    int room = batches[first]->room;
    struct iovec sse[WRITE_BATCHES_MAX], ws[WRITE_BATCHES_MAX];
    struct batch *of_room[WRITE_BATCHES_MAX];
    int n = 0;
    for (size_t i = first; i < count && n < WRITE_BATCHES_MAX; ++i) {
      if (!batches[i] || batches[i]->room != room) continue;
      of_room[n] = batches[i];
      sse[n] = (struct iovec){batches[i]->sse, batches[i]->sse_length};
      ws[n] = (struct iovec){batches[i]->ws, batches[i]->ws_length};
      batches[i] = NULL;
      ++n;
    }
    for (struct connection *c = thread->subscribers[room], *next; c; c = next) {
      next = c->next_in_room;
      if (write_pieces(thread, c, c->kind == sse_subscriber ? sse : ws, n) < 0) close_connection(thread, c);
    }
    for (int i = 0; i < n; ++i) release(of_room[i]);
  }
  free(batches);
}

/* The tick: one batch per room with pending messages, handed to every thread. */
static void tick(void) {
  uint64_t expirations;
  if (read(threads[0].tick_connection.fd, &expirations, sizeof expirations) < 0) return;
  pthread_mutex_lock(&rooms_lock);
  for (int room = 0; room < room_count; ++room) {
    struct room *r = &rooms[room];
    if (r->pending_length == 0) continue;
    struct batch *batch = checked(calloc(1, sizeof *batch));
    batch->room = room;
    size_t payload = r->pending_length + 2;
    batch->sse = checked(malloc(payload + 10));
    batch->sse_length = (size_t)sprintf(batch->sse, "data: [%.*s]\n\n", (int)r->pending_length, r->pending);
    batch->ws = checked(malloc(payload + 10));
    size_t header = 2;
    batch->ws[0] = (char)0x81;
    if (payload < 126) {
      batch->ws[1] = (char)payload;
    } else if (payload < 65536) {
      batch->ws[1] = 126;
      batch->ws[2] = (char)(payload >> 8);
      batch->ws[3] = (char)payload;
      header = 4;
    } else {
      batch->ws[1] = 127;
      for (int i = 0; i < 8; ++i) batch->ws[2 + i] = (char)(payload >> (8 * (7 - i)));
      header = 10;
    }
    sprintf(batch->ws + header, "[%.*s]", (int)r->pending_length, r->pending);
    batch->ws_length = header + payload;
    r->pending_length = 0;
    atomic_init(&batch->references, thread_count);
    for (int t = 0; t < thread_count; ++t) {
      struct thread *thread = &threads[t];
      pthread_mutex_lock(&thread->inbox_lock);
      if (thread->inbox_length == thread->inbox_capacity) {
        thread->inbox_capacity = thread->inbox_capacity * 2 + 8;
        thread->inbox = checked(realloc(thread->inbox, thread->inbox_capacity * sizeof *thread->inbox));
      }
      thread->inbox[thread->inbox_length++] = batch;
      pthread_mutex_unlock(&thread->inbox_lock);
      uint64_t one = 1;
      if (write(thread->wake, &one, sizeof one) < 0) { /* the counter is already set */ }
    }
  }
  pthread_mutex_unlock(&rooms_lock);
}

/* The message, as a JSON string, on its room's pending list. */
static void publish(int room, const char *body, size_t length) {
  pthread_mutex_lock(&rooms_lock);
  struct room *r = &rooms[room];
  if (r->pending_length) append(&r->pending, &r->pending_length, &r->pending_capacity, ",", 1);
  append(&r->pending, &r->pending_length, &r->pending_capacity, "\"", 1);
  for (size_t i = 0; i < length; ++i) {
    char c = body[i];
    if (c == '"' || c == '\\') append(&r->pending, &r->pending_length, &r->pending_capacity, "\\", 1);
    if ((unsigned char)c < 0x20) c = ' ';
    append(&r->pending, &r->pending_length, &r->pending_capacity, &c, 1);
  }
  append(&r->pending, &r->pending_length, &r->pending_capacity, "\"", 1);
  pthread_mutex_unlock(&rooms_lock);
}

static const char *header_value(const char *head, const char *name, size_t *length) {
  size_t name_length = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    const char *start = line + 2;
    if (strncasecmp(start, name, name_length) == 0 && start[name_length] == ':') {
      const char *value = start + name_length + 1;
      while (*value == ' ') ++value;
      const char *end = strstr(value, "\r\n");
      *length = end ? (size_t)(end - value) : strlen(value);
      return value;
    }
  }
  return NULL;
}

static void become_subscriber(struct thread *thread, struct connection *c, enum kind kind, int room) {
  c->kind = kind;
  c->room = room;
  c->prev_in_room = NULL;
  c->next_in_room = thread->subscribers[room];
  if (c->next_in_room) c->next_in_room->prev_in_room = c;
  thread->subscribers[room] = c;
  free(c->request);
  c->request = NULL;
  c->request_length = c->request_capacity = 0;
}

/* Serves every whole request in the connection's buffer. Returns -1 to close. */
static int serve_requests(struct thread *thread, struct connection *c) {
  for (;;) {
    if (c->request_length == 0) return 0;
    c->request[c->request_length] = 0;
    char *end = strstr(c->request, "\r\n\r\n");
    if (!end) return 0;
    size_t head_length = (size_t)(end - c->request) + 4;
    end[2] = 0; /* the head ends at its last line's CRLF */
    char method[8], target[256];
    if (sscanf(c->request, "%7s %255s", method, target) != 2) return -1;
    size_t body_length = 0, length;
    const char *value = header_value(c->request, "Content-Length", &length);
    if (value) body_length = strtoul(value, NULL, 10);
    if (head_length + body_length >= REQUEST_MAX) return -1;
    if (c->request_length < head_length + body_length) { end[2] = '\r'; return 0; }

    if (strcmp(method, "POST") == 0 && strncmp(target, "/pub/", 5) == 0) {
      int room = room_of(target + 5, strlen(target + 5));
      if (room >= 0) publish(room, c->request + head_length, body_length);
      if (write_text(thread, c, room >= 0 ? "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
                                          : "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") < 0)
        return -1;
    } else if (strcmp(method, "GET") == 0 && strncmp(target, "/sub/", 5) == 0) {
      int room = room_of(target + 5, strlen(target + 5));
      if (room < 0) return -1;
      become_subscriber(thread, c, sse_subscriber, room);
      return write_text(thread, c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                   "Cache-Control: no-cache\r\nConnection: close\r\n\r\n");
    } else if (strcmp(method, "GET") == 0 && strncmp(target, "/ws/", 4) == 0) {
      int room = room_of(target + 4, strlen(target + 4));
      const char *key = header_value(c->request, "Sec-WebSocket-Key", &length);
      if (room < 0 || !key || length > 64) return -1;
      char keyed[128];
      snprintf(keyed, sizeof keyed, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)length, key);
      unsigned char digest[SHA_DIGEST_LENGTH];
      SHA1((const unsigned char *)keyed, strlen(keyed), digest);
      char accept[64], response[256];
      EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);
      snprintf(response, sizeof response,
               "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
      become_subscriber(thread, c, ws_subscriber, room);
      return write_text(thread, c, response);
    } else if (strcmp(method, "GET") == 0 && strcmp(target, "/healthz") == 0) {
      if (write_text(thread, c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n") < 0) return -1;
    } else {
      if (write_text(thread, c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n") < 0) return -1;
    }
    size_t used = head_length + body_length;
    memmove(c->request, c->request + used, c->request_length - used);
    c->request_length -= used;
  }
}

static void on_readable(struct thread *thread, struct connection *c) {
  if (c->kind != http_client) {
    /* Subscribers send nothing that matters (a WebSocket's pings and close go unanswered): read
     * it away, and close on the end of the stream. */
    char scratch[4096];
    ssize_t n = read(c->fd, scratch, sizeof scratch);
    if (n == 0 || (n < 0 && errno != EAGAIN)) close_connection(thread, c);
    return;
  }
  /* The buffer grows as a request needs it, so that a connection costs little once it is a
   * subscriber or idle. */
  if (c->request_length + 1 >= c->request_capacity) {
    if (c->request_capacity >= REQUEST_MAX) { close_connection(thread, c); return; }
    c->request_capacity = c->request_capacity ? c->request_capacity * 2 : 2048;
    c->request = checked(realloc(c->request, c->request_capacity));
  }
  ssize_t n = read(c->fd, c->request + c->request_length, c->request_capacity - 1 - c->request_length);
  if (n == 0 || (n < 0 && errno != EAGAIN)) { close_connection(thread, c); return; }
  if (n > 0) c->request_length += (size_t)n;
  if (serve_requests(thread, c) < 0) close_connection(thread, c);
}

static void accept_all(struct thread *thread) {
  for (;;) {
    int fd = accept4(thread->listen_connection.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct connection *c = checked(calloc(1, sizeof *c));
    c->kind = http_client;
    c->fd = fd;
    watch(thread, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
  }
}

static void *run_thread(void *argument) {
  struct thread *thread = argument;
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(thread->epoll, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      struct connection *c = events[i].data.ptr;
      switch (c->kind) {
        case listener: accept_all(thread); break;
        case wakeup: deliver_inbox(thread); break;
        case ticker: tick(); break;
        case closed: break;
        default:
          if ((events[i].events & EPOLLOUT) && c->backlog_length) {
            if (write_pieces(thread, c, NULL, 0) < 0) { close_connection(thread, c); break; }
            if (!c->backlog_length) watch(thread, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
          }
          if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(thread, c);
      }
    }
    bury(thread);
  }
  return NULL;
}

static int listen_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 4096) < 0) {
    perror("minimal_fanout: bind/listen");
    exit(1);
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: minimal_fanout PORT [THREADS] [TICK_MS]\n"); return 2; }
  port = atoi(argv[1]);
  if (argc > 2) thread_count = atoi(argv[2]);
  if (argc > 3) tick_ms = atoi(argv[3]);
  if (port <= 0 || thread_count < 1 || thread_count > MAX_THREADS || tick_ms < 1) {
    fprintf(stderr, "minimal_fanout: bad arguments\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* OpenSSL sets itself up (about 2 MiB) on first use: before the bench's first memory reading,
   * so that it is not counted against the connections. */
  unsigned char warm[SHA_DIGEST_LENGTH];
  SHA1((const unsigned char *)"", 0, warm);
  for (int t = 0; t < thread_count; ++t) {
    struct thread *thread = &threads[t];
    thread->index = t;
    thread->epoll = epoll_create1(EPOLL_CLOEXEC);
    pthread_mutex_init(&thread->inbox_lock, NULL);
    thread->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    thread->wake_connection = (struct connection){.kind = wakeup, .fd = thread->wake};
    watch(thread, &thread->wake_connection, EPOLLIN, EPOLL_CTL_ADD);
    thread->listen_connection = (struct connection){.kind = listener, .fd = listen_socket()};
    watch(thread, &thread->listen_connection, EPOLLIN, EPOLL_CTL_ADD);
  }
  /* The tick runs on thread 0's loop. */
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  struct itimerspec every = {.it_interval = {tick_ms / 1000, (tick_ms % 1000) * 1000000L},
                             .it_value = {tick_ms / 1000, (tick_ms % 1000) * 1000000L}};
  timerfd_settime(timer, 0, &every, NULL);
  threads[0].tick_connection = (struct connection){.kind = ticker, .fd = timer};
  watch(&threads[0], &threads[0].tick_connection, EPOLLIN, EPOLL_CTL_ADD);
  for (int t = 1; t < thread_count; ++t) pthread_create(&threads[t].id, NULL, run_thread, &threads[t]);
  run_thread(&threads[0]);
  return 0;
}

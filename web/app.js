// livechat's web page: sign up and in, find, create, join and exit rooms, chat live over STOMP
// (@stomp/stompjs, loaded before this file as the global StompJs), watch a live-stream session
// over SSE. Plain DOM code, no build step.
//
// Tokens live in sessionStorage (this tab only) and travel in the Authorization header, never in
// a URL. A room's stream resumes after a drop from the last id shown (`x-since-id`), so nothing
// is missed or shown twice: the ids on screen continue.
'use strict';

(() => {
  const AUTH_KEY = 'livechat.auth';
  const PAGE_SIZE = 20;
  const REFRESH_MARGIN_MS = 60_000;  // refresh an access token this long before it expires
  const LIVE_NOTICE = 'Live connection: ';  // a STOMP ERROR's notice, cleared once reconnected
  const $ = (id) => document.getElementById(id);

  let auth = JSON.parse(sessionStorage.getItem(AUTH_KEY) || 'null');  // {userId, accessToken, refreshToken}
  let refreshing = null;  // the refresh in flight, shared by every caller
  let stomp = null;
  let everConnected = false;
  let room = null;        // the open room: {info, lastId, subscription, ended}
  let page = 0;
  let search = '';
  let sessionSource = null;

  // ---- small helpers -------------------------------------------------------------------

  function notice(text) { $('notice').textContent = text || ''; }

  function setConnection(state, text) {
    const element = $('connection');
    element.dataset.state = state;
    element.textContent = text;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function saveAuth(next) {
    auth = next;
    if (auth) sessionStorage.setItem(AUTH_KEY, JSON.stringify(auth));
    else sessionStorage.removeItem(AUTH_KEY);
  }

  function tokenExpiresSoon(token) {
    try {
      const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      return payload.exp * 1000 - Date.now() < REFRESH_MARGIN_MS;
    } catch {
      return true;
    }
  }

  // ---- REST ----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      super(body && body.message ? body.message : `HTTP ${status}`);
      this.status = status;
    }
  }

  async function call(method, path, body, { authorized = true } = {}) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (authorized && auth) headers.Authorization = `Bearer ${auth.accessToken}`;
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, json);
    return json;
  }

  /** A REST call with the access token; refreshed once and retried when it has run out. */
  async function api(method, path, body) {
    try {
      return await call(method, path, body);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !auth) throw error;
      await refreshTokens();
      return call(method, path, body);
    }
  }

  function refreshTokens() {
    if (!auth) return Promise.reject(new Error('signed out'));
    refreshing ??= call('POST', '/users/refresh', { refreshToken: auth.refreshToken }, { authorized: false })
      .then((pair) => saveAuth({ ...auth, ...pair }))
      .catch((error) => {
        signOut('Your session has ended; please sign in again.');
        throw error;
      })
      .finally(() => { refreshing = null; });
    return refreshing;
  }

  // ---- account -------------------------------------------------------------------------

  async function onAccount(event) {
    event.preventDefault();
    const userId = $('user-id').value.trim();
    const password = $('password').value;
    const credentials = { userId, password };
    try {
      if (event.submitter && event.submitter.value === 'signup') {
        await call('POST', '/users/signup', credentials, { authorized: false });
      }
      const pair = await call('POST', '/users/signin', credentials, { authorized: false });
      $('password').value = '';
      saveAuth({ userId, ...pair });
      notice('');
      signedIn();
    } catch (error) {
      notice(error.message);
    }
  }

  function signedIn() {
    $('account').hidden = true;
    $('rooms').hidden = false;
    $('whoami').hidden = false;
    $('user-name').textContent = auth.userId;
    connectStomp();
    loadRooms();
  }

  function signOut(message) {
    closeRoom();
    if (stomp) stomp.deactivate();
    stomp = null;
    everConnected = false;
    saveAuth(null);
    $('account').hidden = false;
    $('rooms').hidden = true;
    $('whoami').hidden = true;
    setConnection('offline', 'Offline');
    notice(message);
  }

  // ---- rooms ---------------------------------------------------------------------------

  async function loadRooms() {
    try {
      const query = new URLSearchParams({ offset: page, limit: PAGE_SIZE });
      if (search) query.set('name', search);
      const [all, mine] = await Promise.all([
        api('GET', `/chatrooms?${query}`),
        api('GET', '/chatrooms/connected?limit=100'),
      ]);
      const memberOf = new Set(mine.chatRooms.map((each) => each.chatRoomId));
      const list = $('room-list');
      list.replaceChildren(...all.chatRooms.map((each) => roomItem(each, memberOf.has(each.chatRoomId))));
      const pages = Math.max(1, Math.ceil(all.total / PAGE_SIZE));
      $('page-info').textContent = `Page ${page + 1} of ${pages} (${all.total} rooms)`;
      $('previous-page').disabled = page === 0;
      $('next-page').disabled = page + 1 >= pages;
    } catch (error) {
      notice(error.message);
    }
  }

  function roomItem(info, member) {
    const item = element('li');
    item.dataset.roomId = info.chatRoomId;
    item.append(element('span', 'name', info.name));
    const details = [`by ${info.creator}`, `${info.numberOfUser} member${info.numberOfUser === 1 ? '' : 's'}`];
    if (info.privateRoom) details.push('private');
    if (info.closed) details.push('closed');
    item.append(element('span', 'meta', details.join(' · ')));
    if (member) {
      const open = element('button', '', 'Open');
      open.type = 'button';
      open.addEventListener('click', () => openRoom(info));
      item.append(open);
    } else if (!info.closed) {
      const form = element('form', 'join');
      let password = null;
      if (info.privateRoom) {
        const label = element('label', '', `Password for ${info.name} `);
        password = element('input');
        password.type = 'password';
        password.required = true;
        password.autocomplete = 'off';
        label.append(password);
        form.append(label, ' ');
      }
      form.append(element('button', '', 'Join'));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        joinRoom(info, password ? password.value : undefined);
      });
      item.append(form);
    }
    return item;
  }

  async function onCreate(event) {
    event.preventDefault();
    const body = { name: $('room-name').value.trim() };
    if ($('room-password').value) body.password = $('room-password').value;
    try {
      const info = await api('POST', '/chatrooms', body);
      $('room-name').value = '';
      $('room-password').value = '';
      notice('');
      openRoom(info);
      loadRooms();
    } catch (error) {
      notice(error.message);
    }
  }

  async function joinRoom(info, password) {
    try {
      const latest = await api('POST', `/chatrooms/${info.chatRoomId}`, password === undefined ? {} : { password });
      notice('');
      showRoom(info, latest.reverse());  // newest first on the wire
      loadRooms();
    } catch (error) {
      notice(error.message);
    }
  }

  async function openRoom(info) {
    try {
      const history = await api('GET', `/chatrooms/${info.chatRoomId}/messages`);
      showRoom(info, history.messages);
    } catch (error) {
      notice(error.message);
    }
  }

  async function exitRoom() {
    if (!room) return;
    try {
      await api('PUT', `/chatrooms/${room.info.chatRoomId}`);
      closeRoom();
      loadRooms();
    } catch (error) {
      notice(error.message);
    }
  }

  // ---- one open room, live over STOMP --------------------------------------------------

  function showRoom(info, messages) {
    closeRoom();
    room = { info, lastId: 0, subscription: null, ended: false };
    $('chat-title').textContent = info.name;
    $('chat-state').textContent = info.closed ? 'This room is closed.' : '';
    $('messages').replaceChildren();
    $('send-form').hidden = info.closed;
    $('chat').hidden = false;
    messages.forEach(showMessage);
    subscribe();
    $('message').focus();
  }

  function closeRoom() {
    if (room && room.subscription && stomp && stomp.connected) room.subscription.unsubscribe();
    room = null;
    $('chat').hidden = true;
  }

  function showMessage(message) {
    if (message.id <= room.lastId) return;  // already shown (a replay overlapping history)
    const item = element('li');
    item.dataset.id = message.id;
    const time = element('time', 'meta', new Date(message.messageTimestamp).toLocaleTimeString());
    time.dateTime = message.messageTimestamp;
    item.append(element('span', 'id', `#${message.id}`), ' ', element('strong', '', message.sender), ' ',
                time, ' ', element('span', 'contents', message.contents));
    const log = $('messages');
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    if (atBottom) log.scrollTop = log.scrollHeight;
    room.lastId = message.id;
  }

  function subscribe() {
    if (!room || room.ended || !stomp || !stomp.connected) return;  // onConnect will call again
    // Everything after the last id shown: the replay fills whatever a drop made us miss.
    room.subscription = stomp.subscribe(`/chat/${room.info.chatRoomId}`, onFrame,
                                        { 'x-since-id': String(room.lastId) });
  }

  function onFrame(frame) {
    const body = JSON.parse(frame.body);
    if (!room || body.roomId !== room.info.chatRoomId) return;
    if (body.type === 'message') return showMessage(body);
    room.ended = true;
    $('send-form').hidden = true;
    const text = body.type === 'closed' ? 'This room was closed by its creator.' : 'You left this room.';
    $('chat-state').textContent = text;
    loadRooms();
  }

  async function onSend(event) {
    event.preventDefault();
    const input = $('message');
    const contents = input.value;
    if (!room || !contents) return;
    try {
      if (stomp && stomp.connected) {
        // The receipt comes once the message is kept; the message itself arrives on the stream.
        const receipt = `send-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        const kept = new Promise((resolve) => stomp.watchForReceipt(receipt, resolve));
        stomp.publish({ destination: `/queue/message/${room.info.chatRoomId}`,
                        body: JSON.stringify({ contents }), headers: { receipt } });
        input.value = '';
        await kept;
      } else {
        // While the live connection is down, REST still takes the message (201 = kept).
        await api('POST', `/chatrooms/${room.info.chatRoomId}/messages`, { contents });
        input.value = '';
      }
    } catch (error) {
      notice(error.message);
    }
  }

  function connectStomp() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    stomp = new StompJs.Client({
      brokerURL: `${scheme}://${location.host}/ws`,
      reconnectDelay: 1000,
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
      beforeConnect: async (client) => {
        setConnection(everConnected ? 'reconnecting' : 'connecting',
                      everConnected ? 'Connection lost: reconnecting…' : 'Connecting…');
        if (tokenExpiresSoon(auth.accessToken)) await refreshTokens();
        client.connectHeaders = { Authorization: `Bearer ${auth.accessToken}` };
      },
      onConnect: () => {
        const resumed = everConnected;
        everConnected = true;
        setConnection('connected', resumed && room ? `Reconnected: resumed after #${room.lastId}` : 'Connected');
        if ($('notice').textContent.startsWith(LIVE_NOTICE)) notice('');
        subscribe();
      },
      onWebSocketClose: () => {
        if (stomp && stomp.active && everConnected) setConnection('reconnecting', 'Connection lost: reconnecting…');
      },
      onStompError: (frame) => notice(`${LIVE_NOTICE}${frame.headers.message}`),
    });
    stomp.activate();
  }

  // ---- a live-stream session, over SSE (public: no token) ------------------------------

  function watchSession(event) {
    event.preventDefault();
    stopSession();
    const id = $('session-id').value.trim();
    const log = $('session-messages');
    log.replaceChildren();
    const state = $('session-state');
    state.textContent = 'Connecting…';
    // EventSource reconnects by itself and sends Last-Event-ID: the stream resumes with no gap.
    sessionSource = new EventSource(`/api/v1/chats/sse-connect/${encodeURIComponent(id)}`);
    sessionSource.onopen = () => { state.textContent = 'Live'; };
    sessionSource.onerror = () => {
      if (sessionSource && sessionSource.readyState === EventSource.CONNECTING) {
        state.textContent = 'Connection lost: reconnecting…';
      }
    };
    sessionSource.onmessage = (message) => {
      for (const each of JSON.parse(message.data)) {
        const item = element('li');
        if (each.id !== undefined) item.append(element('span', 'id', `#${each.id}`), ' ');
        item.append(element('strong', '', each.nickname || each.sender), ' ', element('span', 'contents', each.contents));
        log.append(item);
      }
      log.scrollTop = log.scrollHeight;
    };
    sessionSource.addEventListener('closed', () => {
      state.textContent = 'The session has ended.';
      stopSession();
    });
  }

  function stopSession() {
    if (!sessionSource) return;
    sessionSource.close();
    sessionSource = null;
    if ($('session-state').textContent !== 'The session has ended.') $('session-state').textContent = 'Not watching';
  }

  // ---- wiring --------------------------------------------------------------------------

  $('account-form').addEventListener('submit', onAccount);
  $('sign-out').addEventListener('click', () => signOut(''));
  $('create-form').addEventListener('submit', onCreate);
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    search = $('room-search').value.trim();
    page = 0;
    loadRooms();
  });
  $('previous-page').addEventListener('click', () => { page = Math.max(0, page - 1); loadRooms(); });
  $('next-page').addEventListener('click', () => { page += 1; loadRooms(); });
  $('send-form').addEventListener('submit', onSend);
  $('exit-room').addEventListener('click', exitRoom);
  $('close-room').addEventListener('click', () => { closeRoom(); loadRooms(); });
  $('session-form').addEventListener('submit', watchSession);
  $('session-stop').addEventListener('click', stopSession);

  if (auth) signedIn();
})();

"""A real WebSub hub and subscriber for tests/real_hub.rs: Flask-WebSub
(PyPI flask-websub 0.4.1) on 127.0.0.1, its Celery tasks run eagerly (in the
request, no broker), its subscriber beside it.

    python3 tests/flask_websub_hub.py PORT DATA_DIR

- POST /hub: the hub (subscribe, unsubscribe, and publish with hub.topic);
- POST /subscribe?url=U: the subscriber discovers the hub and topic of U
  (Link headers first, then the document) and subscribes; the hub verifies
  the intent with a GET of the callback before answering;
- GET /received: JSON list of [topic, body] the subscriber was sent;
- GET /subscribed: JSON list of topics whose subscription the hub verified.

Bounded: it exits after `--lifetime` seconds (default 120) whatever happens.
"""

import os
import sys
import threading

from celery import Celery
from flask import Flask, jsonify, request
from flask_websub.hub import Hub, SQLite3HubStorage
from flask_websub.subscriber import (
    Subscriber,
    SQLite3SubscriberStorage,
    discover,
)
from flask_websub.subscriber.storage import AbstractTempSubscriberStorage


class TempStorage(AbstractTempSubscriberStorage):
    """Pending subscription requests, in memory."""

    def __init__(self):
        self.requests = {}
        self.lock = threading.Lock()

    def __setitem__(self, callback_id, subscription_request):
        with self.lock:
            self.requests[callback_id] = dict(subscription_request)

    def pop(self, callback_id):
        with self.lock:
            return self.requests.pop(callback_id)


def main():
    port = int(sys.argv[1])
    data = sys.argv[2]
    lifetime = 120
    threading.Timer(lifetime, lambda: os._exit(3)).start()

    app = Flask(__name__)
    app.config["PUBLISH_SUPPORTED"] = True
    app.config["SERVER_NAME"] = "127.0.0.1:%d" % port

    celery = Celery("hub", broker="memory://", backend="cache+memory://")
    celery.conf.task_always_eager = True
    celery.conf.task_eager_propagates = True

    hub = Hub(
        SQLite3HubStorage(os.path.join(data, "hub.sqlite")),
        celery,
        REQUEST_TIMEOUT=5,
        MAX_ATTEMPTS=1,
    )
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))

    subscriber = Subscriber(
        SQLite3SubscriberStorage(os.path.join(data, "subscriber.sqlite")),
        TempStorage(),
    )
    app.register_blueprint(subscriber.build_blueprint(url_prefix="/callbacks"))

    received = []
    subscribed = []
    errors = []
    subscriber.add_listener(
        lambda topic, callback_id, body: received.append(
            [topic, body.decode("utf-8", "replace")]
        )
    )
    subscriber.add_success_handler(
        lambda topic, callback_id, mode: subscribed.append(topic)
    )
    subscriber.add_error_handler(
        lambda topic, callback_id, reason: errors.append([topic, str(reason)])
    )

    @app.route("/subscribe", methods=["POST"])
    def subscribe():
        found = discover(request.args["url"], timeout=5)
        subscriber.subscribe(**found)
        return jsonify(found)

    @app.route("/received")
    def get_received():
        return jsonify(received)

    @app.route("/subscribed")
    def get_subscribed():
        return jsonify({"subscribed": subscribed, "errors": errors})

    app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()

"""moto server for the test suite: DynamoDB transactions isolated and rolled back per item.

Stock moto runs requests on threads with no isolation, and a cancelled TransactWriteItems
rolls back by putting back a deep copy of the whole table taken when it started — undoing
whatever other requests committed meanwhile (two concurrent purges then dispose of one
record twice), and costing O(table) per transaction item. Here every request is handled
under one lock (DynamoDB serialises conflicting transactions too), and a cancelled
transaction restores only the items it touched.
"""
import copy
import sys
import threading

import moto.dynamodb.models as models
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_lock = threading.RLock()
_dispatch = DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _lock:
        return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _serialised


class _NoTableSnapshot:
    """`copy` for moto's models module, minus the whole-table snapshot."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(x, memo=None):
        return x if isinstance(x, Table) else copy.deepcopy(x, memo)


models.copy = _NoTableSnapshot()
_transact = models.DynamoDBBackend.transact_write_items


def _key_of(backend, op_type, op):
    table = backend.get_table(op["TableName"])
    if op_type != "Put":
        return op["Key"]
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _transact_write_items(self, transact_items):
    saved = []
    for item in transact_items:
        try:
            op_type, op = next(iter(item.items()))
            key = _key_of(self, op_type, op)
            current = self.get_item(op["TableName"], key)
            before = copy.deepcopy(current.to_json()["Attributes"]) if current else None
            saved.append((op["TableName"], key, before))
        except Exception:  # moto's own code reports a malformed item
            pass
    try:
        return _transact(self, transact_items)
    except Exception:
        for table_name, key, before in reversed(saved):
            try:
                if before is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, before)
            except Exception:
                pass
        raise


models.DynamoDBBackend.transact_write_items = _transact_write_items

from moto.server import main  # noqa: E402

sys.exit(main())

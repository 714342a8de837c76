"""moto server for `make bench` only.

moto snapshots every table a TransactWriteItems touches with copy.deepcopy, once per item,
so that it can roll back; at 20,000 items that costs seconds and gigabytes per transaction.
The bench runs one purge with no competing writer, so no transaction of it is ever rolled
back: this launcher skips the snapshot of Table objects. The test suite uses stock moto.
"""
import copy
import sys

import moto.dynamodb.models as models
from moto.dynamodb.models.table import Table


class _NoTableSnapshot:
    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(x, memo=None):
        return x if isinstance(x, Table) else copy.deepcopy(x, memo)


models.copy = _NoTableSnapshot()

from moto.server import main  # noqa: E402

sys.exit(main())

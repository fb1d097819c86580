"""A page of messages for many conversations in one statement (ROW_NUMBER() per
conversation), so `conversations { messages(last: 10) }` is not one query per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from carepath.models import Message
from carepath.schema.pagination import Ordering, Page, fetch_order, id_bounds
from carepath.services.joined import columns, fetch, hydrate, placeholders

BY_ID = Ordering("id")


async def message_pages(page: Page, conversation_ids: Sequence[int]) -> list[list[Message]]:
    """Per conversation, the rows `paginate` would read for this page (in its order)."""
    keys = sorted(set(conversation_ids))
    after, before = id_bounds(page)
    order, limit = fetch_order(page, BY_ID)
    direction = "DESC" if order[0].startswith("-") else "ASC"
    values: list[object] = list(keys)
    markers = placeholders(Message._choose_db(), len(keys) + 3)
    where = [f"conversation_id IN ({', '.join(markers[: len(keys)])})"]
    if after is not None:
        where.append(f"id > {markers[len(values)]}")
        values.append(after)
    if before is not None:
        where.append(f"id < {markers[len(values)]}")
        values.append(before)
    sql = (
        f"SELECT * FROM (SELECT {columns(Message, 'm', 'm_')}, ROW_NUMBER() OVER "  # noqa: S608
        f"(PARTITION BY conversation_id ORDER BY id {direction}) AS rn FROM messages m "
        f"WHERE {' AND '.join(where)}) numbered WHERE rn <= {markers[len(values)]} "
        "ORDER BY m_conversation_id, rn"
    )
    values.append(limit)
    grouped: dict[int, list[Message]] = defaultdict(list)
    for row in await fetch(Message, sql, values):
        message = hydrate(Message, row, "m_")
        grouped[message.conversation_id].append(message)
    return [grouped.get(k, []) for k in conversation_ids]


def message_page_loader(page: Page) -> DataLoader[int, list[Message]]:
    async def load(keys: Sequence[int]) -> list[list[Message]]:
        return await message_pages(page, keys)

    return DataLoader(load_fn=load)

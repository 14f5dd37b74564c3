"""Small hand-written petitions for tests that need a few cases with known issue types."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = [
    {
        "external_no": "T-001",
        "title": "包工头拖欠工资",
        "content": "我在天河区工地干活，包工头拖欠三个月工资两万元，讨薪无果。",
        "received_date": "2025-03-01",
        "city": "广州市",
        "department": "省人力资源社会保障厅",
        "category": "拖欠农民工工资",
        "status": "pending",
        "channel": "来访",
        "petitioner_name": "张三",
        "petitioner_id": "440106199001011234",
    },
    {
        "external_no": "T-002",
        "title": "工地欠薪",
        "content": "建筑公司拖欠农民工工资半年，工友二十人讨要工资被推诿。",
        "received_date": "2025-04-02",
        "city": "深圳市",
        "department": "省人力资源社会保障厅",
        "category": "拖欠农民工工资",
        "status": "resolved",
        "channel": "网上",
        "resolved_date": "2025-05-01",
    },
    {
        "external_no": "T-003",
        "title": "物业乱收费",
        "content": "小区物业公司擅自上调物业费，电梯长期故障无人维修。",
        "received_date": "2025-05-03",
        "city": "广州市",
        "department": "省住房城乡建设厅",
        "category": "物业管理纠纷",
        "status": "in_progress",
        "channel": "热线",
    },
    {
        "external_no": "T-004",
        "title": "工厂废气污染",
        "content": "工业园区工厂夜间排放刺鼻废气，周边居民呼吸困难。",
        "received_date": "2025-06-04",
        "city": "佛山市",
        "department": "省生态环境厅",
        "category": "工业污染",
        "status": "pending",
        "channel": "来信",
    },
    {
        "external_no": "T-005",
        "title": "再次反映拖欠工资",
        "content": "此前反映的工地拖欠工资问题至今未解决，包工头仍不支付工资，联系电话13812345678。",
        "received_date": "2025-07-05",
        "city": "广州市",
        "department": "省人力资源社会保障厅",
        "category": "拖欠农民工工资",
        "status": "pending",
        "channel": "网上",
        "petitioner_name": "张三",
        "petitioner_id": "440106199001011234",
    },
    {
        "external_no": "T-006",
        "title": "货运平台拖欠运费",
        "content": "我是货车司机，在快运通平台接单，平台拖欠运费八千元不结算。",
        "received_date": "2025-08-06",
        "city": "东莞市",
        "department": "省交通运输厅",
        "category": "货运平台拖欠运费",
        "status": "unresolved",
        "channel": "网上",
    },
]


def rows(subset: list[dict[str, Any]] | None = None) -> list[tuple[int, dict[str, Any]]]:
    return [(i, dict(r)) for i, r in enumerate(subset or ROWS, start=1)]

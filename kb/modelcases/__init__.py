"""The typical-case knowledge base (典型类案化解数据库): model cases with standard operating guidance."""

"""积案化解攻坚 campaigns: case lists, responsibility letters, weekly rolling notices, supervision visits."""

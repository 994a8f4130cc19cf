-- Smaller buffers for the span tables' writes and merges. Each column stream of a
-- wide part gets a compression buffer and a file buffer of max_compress_block_size
-- (1 MiB by default); with spans' ~90 streams one insert of 5,000 spans needed
-- 330 MiB on chDB (measured with max_memory_usage), 131 MiB with 256 KiB blocks.
-- Parts below 64 MiB (a fresh insert, ~20 MiB of text) are compact: one file,
-- written faster (~50 against ~75 us/span in the engine); merges of several of them
-- produce wide parts, merged column by column (0006). A merge reads each source
-- part in blocks of merge_max_block_size rows: 8,192 rows of ~2 KB of LLM text is
-- 16 MiB per part and per column, ~100 MiB for an 8-part merge; 2,048 rows ~4 MiB.
ALTER TABLE $db.spans$local $on_cluster
    MODIFY SETTING max_compress_block_size = 262144,
    min_bytes_for_wide_part = 67108864,
    merge_max_block_size = 2048;

ALTER TABLE $db.span_details$local $on_cluster
    MODIFY SETTING max_compress_block_size = 262144,
    min_bytes_for_wide_part = 67108864,
    merge_max_block_size = 2048;

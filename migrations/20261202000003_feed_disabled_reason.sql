-- Why a feed is disabled, so that config.toml's sync re-enables only the feeds it disabled
-- itself ('config': removed from the file) and never one the server removed ('gone': HTTP 410)
-- or the organiser stopped ('organiser'); those wait for `chronicle feeds enable ID`.
ALTER TABLE feeds ADD COLUMN disabled_reason TEXT;

UPDATE feeds
   SET disabled_reason = CASE WHEN last_error = 'removed from config.toml' THEN 'config'
                              WHEN last_http_status = 410 THEN 'gone'
                              ELSE 'organiser' END
 WHERE enabled = 0;

-- A store written by kbtool with schema version 1 (the first release), frozen for migration tests; kb/ beside it is its knowledge base.
BEGIN TRANSACTION;
CREATE TABLE articles (
        id VARCHAR(200) PRIMARY KEY,
        path TEXT NOT NULL,
        title TEXT NOT NULL,
        kind VARCHAR(20) NOT NULL,
        category TEXT NOT NULL,
        tags TEXT NOT NULL,
        questions TEXT NOT NULL,
        body TEXT NOT NULL,
        verbatim TEXT NOT NULL,
        valid_from VARCHAR(10),
        valid_until VARCHAR(10),
        source_hash CHAR(64) NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        state VARCHAR(20) NOT NULL DEFAULT 'none',
        head_revision INTEGER,
        approved_revision INTEGER,
        approved_source_hash CHAR(64),
        approved_by VARCHAR(200),
        approved_at VARCHAR(40),
        synced_at VARCHAR(40) NOT NULL
    );
INSERT INTO "articles" VALUES('card-lost','card-lost.md','借记卡挂失办理须知','article','银行卡','[]','["卡丢了怎么办", "银行卡找不到了", "怎么挂失"]','客户如发生借记卡遗失，应及时致电95588予以办理口头挂失。
','[]',NULL,NULL,'c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410',0,'approved',1,1,'c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410','bob','2026-11-22T20:45:34.858816+00:00','2026-11-22T20:45:34.851580+00:00');
INSERT INTO "articles" VALUES('password-reset','password-reset.md','密码重置','article','银行卡','[]','[]','客户如遗忘密码，须携带本人有效身份证件前往网点办理密码重置业务。
','[]',NULL,NULL,'28b5cf074f4f22d9044461de229bfa50afaabd6140e2913a853066be1b85c89d',0,'in_review',1,NULL,NULL,NULL,NULL,'2026-11-22T20:45:34.851832+00:00');
INSERT INTO "articles" VALUES('spring-hours','spring-hours.md','2024年春节营业时间调整公告','announcement','公告','[]','[]','春节期间各网点营业时间调整如下。
','[]','2024-02-01','2024-02-20','11902f7e96928d2b114fef864170f4660ba04fedbb0252ef01d045f3f4b3fbec',0,'none',NULL,NULL,NULL,NULL,NULL,'2026-11-22T20:45:34.851975+00:00');
CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at VARCHAR(40) NOT NULL,
        user_name VARCHAR(200) NOT NULL,
        action VARCHAR(40) NOT NULL,
        article_id VARCHAR(200),
        revision INTEGER,
        source_hash CHAR(64),
        text_hash CHAR(64),
        detail TEXT,
        chain CHAR(64) NOT NULL
    );
INSERT INTO "audit" VALUES(1,'2026-11-22T20:45:34.844967+00:00','root','migrate',NULL,NULL,NULL,NULL,'{"from": 0, "to": 1}','1b98a83cbb5407f088e7e20f084f29dbddd6fc6c1bdca0172f0dc62702a2d86a');
INSERT INTO "audit" VALUES(2,'2026-11-22T20:45:34.851705+00:00','alice','sync.new','card-lost',NULL,'c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410',NULL,'{"path": "card-lost.md"}','c39d033608b09bb7cfbd6fb46b37189c28529a2c34c16408fe8ef0307b3b5a45');
INSERT INTO "audit" VALUES(3,'2026-11-22T20:45:34.851870+00:00','alice','sync.new','password-reset',NULL,'28b5cf074f4f22d9044461de229bfa50afaabd6140e2913a853066be1b85c89d',NULL,'{"path": "password-reset.md"}','a7dd86c1b0e47d82ad010ec5cae7ee4e69e39b293acbee7eeb68aa3376b38f45');
INSERT INTO "audit" VALUES(4,'2026-11-22T20:45:34.852006+00:00','alice','sync.new','spring-hours',NULL,'11902f7e96928d2b114fef864170f4660ba04fedbb0252ef01d045f3f4b3fbec',NULL,'{"path": "spring-hours.md"}','5c2f31915b8375a6a36dba5ec5f580a378531ce0c7b12bdde3f953db947f2d3e');
INSERT INTO "audit" VALUES(5,'2026-11-22T20:45:34.853625+00:00','alice','save','card-lost',1,'c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410','0406bca05c1c685b64b2970e1e70a5b2606920b86dda5f6e73e8de25d4417849','{"base": null}','f3717449fc1684af0ee584501b447c02d1c069bc7606250c6b35d93feaa9cf64');
INSERT INTO "audit" VALUES(6,'2026-11-22T20:45:34.856338+00:00','carol','conflict','card-lost',2,'c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410','f8d94652cd3df0d1668fea3e4c5ce5bdcab3c524c1544c29a6826904958c119f','{"base": null, "head": 1}','87ed15ff2d69b8fbd74785aba3050f55235ddabd9ba367aa4fffaa8c90cc2a38');
INSERT INTO "audit" VALUES(7,'2026-11-22T20:45:34.857762+00:00','alice','submit','card-lost',1,'c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410','0406bca05c1c685b64b2970e1e70a5b2606920b86dda5f6e73e8de25d4417849',NULL,'a797db6bb52b55e18ce85b22fb07ced939c48b813f625b69c6a83c00a5277e5a');
INSERT INTO "audit" VALUES(8,'2026-11-22T20:45:34.858882+00:00','bob','approve','card-lost',1,'c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410','0406bca05c1c685b64b2970e1e70a5b2606920b86dda5f6e73e8de25d4417849','{"author": "alice", "comment": "可以", "facts": "unavailable"}','d9f415f6496e5e01dce12db015dbe43af016d8425fb4b195890494c98065783f');
INSERT INTO "audit" VALUES(9,'2026-11-22T20:45:34.859825+00:00','alice','save','password-reset',1,'28b5cf074f4f22d9044461de229bfa50afaabd6140e2913a853066be1b85c89d','82f0f2b4db6ead3e060b315629cd9a11bc233387fc4d7dd96dbf74951b99c461','{"base": null}','7d3bf6c50683cceddd4a87ee6a288d35411cdfdb9898dcdb9ffc1ef0bce25ad9');
INSERT INTO "audit" VALUES(10,'2026-11-22T20:45:34.860820+00:00','alice','submit','password-reset',1,'28b5cf074f4f22d9044461de229bfa50afaabd6140e2913a853066be1b85c89d','82f0f2b4db6ead3e060b315629cd9a11bc233387fc4d7dd96dbf74951b99c461',NULL,'14db365217d0fe97f8a5c949a0ddb6a04cd0bc62936b5ceef486a7e86e8a87d6');
CREATE TABLE files (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        article_id VARCHAR(200),
        problem TEXT
    );
INSERT INTO "files" VALUES('card-lost.md',241,1795380334681690279,'card-lost',NULL);
INSERT INTO "files" VALUES('password-reset.md',178,1795380334684031745,'password-reset',NULL);
INSERT INTO "files" VALUES('spring-hours.md',202,1795380334686453851,'spring-hours',NULL);
CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','1');
INSERT INTO "meta" VALUES('generation','6');
INSERT INTO "meta" VALUES('kb_signature','82746ede6a80ce3d39a56e3c629170ebb23b1c68e1cb6de0a6236c1e4590f346');
INSERT INTO "meta" VALUES('kb_dir','/tmp/tmp68nwkpvk/kb');
CREATE TABLE revisions (
        article_id VARCHAR(200) NOT NULL REFERENCES articles(id),
        number INTEGER NOT NULL,
        kind VARCHAR(20) NOT NULL,
        base INTEGER,
        spoken_text TEXT NOT NULL,
        decisions TEXT,
        text_hash CHAR(64) NOT NULL,
        source_hash CHAR(64) NOT NULL,
        author VARCHAR(200) NOT NULL,
        created_at VARCHAR(40) NOT NULL,
        PRIMARY KEY (article_id, number)
    );
INSERT INTO "revisions" VALUES('card-lost',1,'draft',NULL,'卡丢了，请马上打95588挂失。','{"accepted": ["official.yuyi"]}','0406bca05c1c685b64b2970e1e70a5b2606920b86dda5f6e73e8de25d4417849','c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410','alice','2026-11-22T20:45:34.853522+00:00');
INSERT INTO "revisions" VALUES('card-lost',2,'conflict',NULL,'卡丢了就打95588。',NULL,'f8d94652cd3df0d1668fea3e4c5ce5bdcab3c524c1544c29a6826904958c119f','c60e2e59aa6ea94f29e37d21a2bedfee20c0d9f6c2f43a79152106b14b88d410','carol','2026-11-22T20:45:34.856256+00:00');
INSERT INTO "revisions" VALUES('password-reset',1,'draft',NULL,'忘了密码的话，带上身份证去网点重置。',NULL,'82f0f2b4db6ead3e060b315629cd9a11bc233387fc4d7dd96dbf74951b99c461','28b5cf074f4f22d9044461de229bfa50afaabd6140e2913a853066be1b85c89d','alice','2026-11-22T20:45:34.859766+00:00');
CREATE INDEX audit_by_article ON audit (article_id, seq);
CREATE INDEX articles_by_state ON articles (state);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
COMMIT;
